import { parseInput, projectId as projectIdRule } from '../commands/inputs';
import type { AuditEventRow } from '../queries/audit-queries';
import { builder } from './builder';
import { AuditEventRef } from './types/audit-event';
import { USAGE_NOT_IN_AUDIT_LOG } from './usage-deprecation';

builder.subscriptionField('auditEvents', (t) =>
  t.field({
    type: AuditEventRef,
    description:
      'Each new event of the project, once and in log order, as it happens (server-sent events: POST with Accept: text/event-stream). Needs audit:read on the project; ends when the token expires.',
    args: {
      projectId: t.arg.string({ required: true }),
      includeUsage: t.arg.boolean({ defaultValue: false, description: 'Ignored.', deprecationReason: USAGE_NOT_IN_AUDIT_LOG }),
    },
    authScopes: (_root, args) => ({ permission: { projectId: args.projectId, permission: 'audit:read' } }),
    subscribe: (_root, args, ctx) =>
      ctx.feed.subscribe({
        subject: ctx.principal.subject,
        projectId: parseInput(projectIdRule, args.projectId, 'projectId'),
        endsAt: ctx.principal.expiresAt,
      }),
    resolve: (row: AuditEventRow, _args, ctx) => {
      // A stream is one long request: without this, its loaders would keep serving
      // each key as it was when the stream first looked it up.
      ctx.loaders.apiKeyById.clearAll();
      ctx.loaders.auditHistory.clearAll();
      return row;
    },
  }),
);
