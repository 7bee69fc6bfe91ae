import { hasPermission } from '../../auth/principal';
import { statusAt } from '../../domain/key-status';
import type { ApiKeyRow } from '../../queries/api-key-queries';
import { builder } from '../builder';
import type { GraphQLContext } from '../context';
import { fetchSize, parsePage, toConnection } from '../pagination';
import { USAGE_NOT_IN_AUDIT_LOG } from '../usage-deprecation';
import { AuditEventConnection } from './audit-event';
import { ApiKeyStatusEnum, VerificationCodeEnum } from './enums';

export const ApiKeyRef = builder.objectRef<ApiKeyRow>('ApiKey');

builder.node(ApiKeyRef, {
  description: 'A named credential of a project. Its secret is shown once, when generated, and never stored.',
  id: { resolve: (key) => key.id },
  // node(id) answers null, Relay's "not found", for a key the principal may not read.
  loadMany: (ids, ctx) => Promise.all(ids.map(async (id) => readableKey(ctx, await ctx.loaders.apiKeyById.load(id)))),
  fields: (t) => ({
    projectId: t.exposeString('project_id', { description: 'The platform’s own id of the project the key belongs to.' }),
    name: t.exposeString('name'),
    environment: t.exposeString('environment'),
    maskedKey: t.exposeString('masked_key', { description: 'Prefix plus the first and last characters, to tell keys apart.' }),
    status: t.field({
      type: ApiKeyStatusEnum,
      description: 'As of now, or as of asOf for a key seen in the past.',
      resolve: (key, _args, ctx) => statusAt(key.status, key.expires_at, (key.asOf ?? ctx.now()).getTime()),
    }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the key stops verifying; for a rolled key, the end of its grace period. Null for never.',
      resolve: (key) => key.expires_at,
    }),
    rotatedFrom: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: 'The key this one replaced, when it was created by rollApiKey (on a key seen asOf a moment, as it was then).',
      resolve: (key, _args, ctx) => linkedKey(ctx, key.rotated_from, key.asOf),
    }),
    rotatedTo: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: 'The successor this key was rolled to (on a key seen asOf a moment, as it was then).',
      resolve: (key, _args, ctx) => linkedKey(ctx, key.rotated_to, key.asOf),
    }),
    asOf: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The moment this key is shown as of, when asked for with asOf; null for the present.',
      resolve: (key) => key.asOf ?? null,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (key) => key.created_at }),
    createdBy: t.exposeString('created_by'),
    lastUsedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The last accepted verification, accurate to the usage flush window.',
      resolve: (key) => key.last_used_at,
    }),
    usageCount: t.exposeInt('usage_count', { description: 'Verifications that presented this key, accepted or not (as of the last usage flush).' }),
    lastRejectedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When a verification last presented this key and was refused (it was inactive, expired or deleted).',
      resolve: (key) => key.last_rejected_at,
    }),
    lastRejectedCode: t.field({ type: VerificationCodeEnum, nullable: true, resolve: (key) => key.last_rejected_code }),
    deactivatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (key) => key.deactivated_at }),
    deletedAt: t.field({ type: 'DateTime', nullable: true, resolve: (key) => key.deleted_at }),
    statusChangedAt: t.field({ type: 'DateTime', resolve: (key) => key.status_changed_at }),
    statusChangedBy: t.exposeString('status_changed_by'),
    statusReason: t.exposeString('status_reason', { nullable: true, description: 'The reason given with the last status change.' }),
    version: t.exposeInt('version', { description: 'Number of lifecycle events the key has; grows with every change.' }),
    auditHistory: t.field({
      type: AuditEventConnection,
      authScopes: (key) => ({ permission: { projectId: key.project_id, permission: 'audit:read' } }),
      description: 'What happened to this key, newest first: its lifecycle events. For a key seen asOf a moment, up to that moment.',
      args: {
        first: t.arg.int(),
        after: t.arg.string(),
        includeUsage: t.arg.boolean({ defaultValue: false, description: 'Ignored.', deprecationReason: USAGE_NOT_IN_AUDIT_LOG }),
      },
      resolve: async (key, args, ctx) => {
        const page = parsePage(ctx.ids, 'AuditEvent', args);
        const rows = await ctx.loaders.auditHistory.load({
          keyId: key.id,
          limit: fetchSize(page),
          beforePosition: page.beforePosition,
          until: key.asOf?.toISOString() ?? null,
        });
        return toConnection(ctx.ids, 'AuditEvent', rows, page, (row) => row.position);
      },
    }),
  }),
});

/** A key linked by rotation: as it is now, or, from a key seen in the past, as it was then. */
async function linkedKey(ctx: GraphQLContext, keyId: string | null, asOf: Date | undefined) {
  if (!keyId) return null;
  return readableKey(ctx, await (asOf ? ctx.loaders.apiKeyAsOf.load({ keyId, asOf }) : ctx.loaders.apiKeyById.load(keyId)));
}

/** The key, if the principal holds keys:read on its project; null otherwise. */
export function readableKey(ctx: GraphQLContext, key: ApiKeyRow | null): ApiKeyRow | null {
  return key && hasPermission(ctx.principal, key.project_id, 'keys:read') ? key : null;
}

export const ApiKeyConnection = builder.connectionObject({ type: ApiKeyRef, name: 'ApiKeyConnection' });
