import { parseInput, projectId as projectIdRule } from '../../commands/inputs';
import { ValidationError } from '../../domain/errors';
import { type ApiKeyRow, listProjectApiKeys } from '../../queries/api-key-queries';
import { listProjectApiKeysAsOf } from '../../queries/api-keys-as-of';
import { listAuditEvents } from '../../queries/audit-queries';
import { parseAsOf } from '../as-of';
import { builder } from '../builder';
import type { GraphQLContext } from '../context';
import { parseGlobalId } from '../global-id';
import { fetchSize, type PageRequest, parsePage, toConnection } from '../pagination';
import { USAGE_NOT_IN_AUDIT_LOG } from '../usage-deprecation';
import { ApiKeyConnection } from './api-key';
import { AuditEventConnection } from './audit-event';
import { ApiKeyStatusEnum, AuditEventTypeEnum } from './enums';

/** A project is the platform's; we know it only by its id and the keys filed under it. */
export interface Project {
  projectId: string;
}

export const ProjectRef = builder.objectRef<Project>('Project');

export function loadProject(id: string): Project {
  return { projectId: parseInput(projectIdRule, id, 'id') };
}

const ApiKeyFilter = builder.inputType('ApiKeyFilter', {
  fields: (t) => ({
    status: t.field({ type: ApiKeyStatusEnum, description: 'Only keys in this status. Without it, deleted keys are left out.' }),
    environment: t.string(),
    unusedSince: t.field({ type: 'DateTime', description: 'Only keys not used since then; a key never used counts from its creation.' }),
    expiresBefore: t.field({ type: 'DateTime', description: 'Only keys that expire (or expired) before then; keys without expiry are left out.' }),
  }),
});

const MAX_IDLE_DAYS = 3650;

const AuditLogFilter = builder.inputType('AuditLogFilter', {
  fields: (t) => ({
    types: t.field({ type: [AuditEventTypeEnum], description: 'Only these types.' }),
    includeUsage: t.boolean({ description: 'Ignored.', deprecationReason: USAGE_NOT_IN_AUDIT_LOG }),
    keyId: t.id({ description: 'Only events of this key.' }),
    actor: t.string(),
    from: t.field({ type: 'DateTime', description: 'Events at or after this time.' }),
    to: t.field({ type: 'DateTime', description: 'Events before this time.' }),
  }),
});

function keyConnection(ctx: GraphQLContext, rows: ApiKeyRow[], page: PageRequest) {
  // Later lookups of these keys in the same request (AuditEvent.key, rotatedTo) need no query.
  for (const row of rows) ctx.loaders.apiKeyById.prime(row.id, row);
  return toConnection(ctx.ids, 'ApiKey', rows, page, (row) => row.created_position);
}

builder.node(ProjectRef, {
  id: { resolve: (project) => project.projectId },
  loadOne: (id) => loadProject(id),
  fields: (t) => ({
    projectId: t.exposeString('projectId'),
    apiKeys: t.field({
      type: ApiKeyConnection,
      authScopes: (project) => ({ permission: { projectId: project.projectId, permission: 'keys:read' } }),
      description: 'The project’s keys, newest first. With asOf: as they were at that moment, rebuilt from the event log.',
      args: { first: t.arg.int(), after: t.arg.string(), filter: t.arg({ type: ApiKeyFilter }), asOf: t.arg({ type: 'DateTime' }) },
      resolve: async (project, args, ctx) => {
        const page = parsePage(ctx.ids, 'ApiKey', args);
        const asOf = parseAsOf(args.asOf, ctx.now());
        const range = { limit: fetchSize(page), beforePosition: page.beforePosition };
        const filter = args.filter ?? {};
        const rows = asOf
          ? await listProjectApiKeysAsOf(ctx.db, project.projectId, filter, range, asOf, ctx.heavyWork.forRequest(ctx.signal), { windowMs: ctx.usage.windowMs })
          : await listProjectApiKeys(ctx.db, project.projectId, filter, range, ctx.now());
        // A past view must not stand in for the present one elsewhere in the request.
        return asOf ? toConnection(ctx.ids, 'ApiKey', rows, page, (row) => row.created_position) : keyConnection(ctx, rows, page);
      },
    }),
    idleKeys: t.field({
      type: ApiKeyConnection,
      authScopes: (project) => ({ permission: { projectId: project.projectId, permission: 'keys:read' } }),
      description: 'Active keys nobody has used for `days` days (a key never used counts from its creation), newest first: candidates to deactivate.',
      args: { days: t.arg.int({ required: true }), first: t.arg.int(), after: t.arg.string() },
      resolve: async (project, args, ctx) => {
        if (!Number.isInteger(args.days) || args.days < 1 || args.days > MAX_IDLE_DAYS) {
          throw new ValidationError([{ path: 'days', message: `days must be between 1 and ${MAX_IDLE_DAYS}` }]);
        }
        const page = parsePage(ctx.ids, 'ApiKey', args);
        const now = ctx.now();
        const unusedSince = new Date(now.getTime() - args.days * 86_400_000);
        const rows = await listProjectApiKeys(ctx.db, project.projectId, { status: 'ACTIVE', unusedSince }, { limit: fetchSize(page), beforePosition: page.beforePosition }, now);
        return keyConnection(ctx, rows, page);
      },
    }),
    auditLog: t.field({
      type: AuditEventConnection,
      authScopes: (project) => ({ permission: { projectId: project.projectId, permission: 'audit:read' } }),
      description: 'Everything that happened to the project’s keys, newest first.',
      args: { first: t.arg.int(), after: t.arg.string(), filter: t.arg({ type: AuditLogFilter }) },
      resolve: async (project, args, ctx) => {
        const page = parsePage(ctx.ids, 'AuditEvent', args);
        const filter = args.filter ?? {};
        const rows = await listAuditEvents(
          ctx.db,
          {
            projectId: project.projectId,
            keyId: filter.keyId ? parseGlobalId(String(filter.keyId), 'ApiKey', 'filter.keyId') : undefined,
            types: filter.types,
            actor: filter.actor,
            from: filter.from,
            to: filter.to,
          },
          { limit: fetchSize(page), beforePosition: page.beforePosition },
          // A filter no index serves is scanned in windows: through the heavy-work queue, and not after the client left.
          ctx.heavyWork.sliceFor(ctx.signal),
        );
        return toConnection(ctx.ids, 'AuditEvent', rows, page, (row) => row.position);
      },
    }),
  }),
});
