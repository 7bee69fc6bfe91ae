import type { AuditChange } from '../../../projections/audit-log-projection';
import { hasPermission } from '../../auth/principal';
import { type AuditEventRow, findAuditEventsByPositions } from '../../queries/audit-queries';
import { builder } from '../builder';
import { encodeGlobalID } from '../global-id';
import { USAGE_NOT_IN_AUDIT_LOG } from '../usage-deprecation';
import { ApiKeyRef, readableKey } from './api-key';
import { AuditEventTypeEnum } from './enums';

export const AuditEventRef = builder.objectRef<AuditEventRow>('AuditEvent');

/** What AuditEvent.usage once showed: kept only so that clients still selecting it stay valid. */
interface UsageSummary {
  count: number;
  firstAt: string;
  lastAt: string;
  valid: number;
  inactive: number;
  expired: number;
  deleted: number;
}

const UsageSummaryRef = builder.objectRef<UsageSummary>('UsageSummary').implement({
  description: `Deprecated with AuditEvent.usage, which is always null. ${USAGE_NOT_IN_AUDIT_LOG}`,
  fields: (t) => ({
    count: t.exposeInt('count'),
    firstAt: t.field({ type: 'DateTime', resolve: (usage) => usage.firstAt }),
    lastAt: t.field({ type: 'DateTime', resolve: (usage) => usage.lastAt }),
    valid: t.exposeInt('valid'),
    inactive: t.exposeInt('inactive'),
    expired: t.exposeInt('expired'),
    deleted: t.exposeInt('deleted'),
  }),
});

const AuditChangeRef = builder.objectRef<AuditChange>('AuditChange').implement({
  fields: (t) => ({
    field: t.exposeString('field'),
    from: t.exposeString('from', { nullable: true }),
    to: t.exposeString('to', { nullable: true }),
  }),
});

builder.node(AuditEventRef, {
  description: 'One event of the log: who did what, when, to which key.',
  // The id wraps the log position encrypted (opaque-ids.ts): readable, it would show how
  // much every other tenant did between two of your events. One that does not decrypt
  // is no position (NaN is looked up as nothing), so node(id) answers null, as Relay asks.
  id: {
    resolve: (row, _args, ctx) => ctx.ids.encode('AuditEvent id', Number(row.position)),
    parse: (id, ctx) => ctx.ids.decode('AuditEvent id', id) ?? Number.NaN,
  },
  loadMany: async (positions, ctx) =>
    (await findAuditEventsByPositions(ctx.db, positions)).map((row) => (row && hasPermission(ctx.principal, row.project_id, 'audit:read') ? row : null)),
  fields: (t) => ({
    type: t.field({ type: AuditEventTypeEnum, resolve: (row) => row.type }),
    occurredAt: t.field({ type: 'DateTime', resolve: (row) => row.occurred_at }),
    actor: t.exposeString('actor', { description: 'Who caused the event.' }),
    requestId: t.exposeString('request_id', { description: 'The request that caused it (the X-Request-Id it was answered with).' }),
    clientAddress: t.exposeString('client_address', { nullable: true, description: 'The caller’s address.' }),
    userAgent: t.exposeString('user_agent', { nullable: true, description: 'The caller’s User-Agent.' }),
    projectId: t.exposeString('project_id'),
    keyId: t.id({ resolve: (row) => encodeGlobalID('ApiKey', row.key_id) }),
    key: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: 'The key, when the reader also holds keys:read on its project.',
      resolve: async (row, _args, ctx) => readableKey(ctx, await ctx.loaders.apiKeyById.load(row.key_id)),
    }),
    reason: t.exposeString('reason', { nullable: true }),
    rotatedFromKeyId: t.id({
      nullable: true,
      description: 'For the KeyGenerated of a successor: the key it replaces.',
      resolve: (row) => (row.rotated_from ? encodeGlobalID('ApiKey', row.rotated_from) : null),
    }),
    rotatedToKeyId: t.id({
      nullable: true,
      description: 'For KeyRolled: the successor.',
      resolve: (row) => (row.rotated_to ? encodeGlobalID('ApiKey', row.rotated_to) : null),
    }),
    usage: t.field({
      type: UsageSummaryRef,
      nullable: true,
      description: 'Always null.',
      deprecationReason: USAGE_NOT_IN_AUDIT_LOG,
      resolve: () => null,
    }),
    changes: t.field({ type: [AuditChangeRef], resolve: (row) => JSON.parse(row.changes) as AuditChange[] }),
  }),
});

export const AuditEventConnection = builder.connectionObject({ type: AuditEventRef, name: 'AuditEventConnection' });
