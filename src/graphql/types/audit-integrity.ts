import type { IntegrityReport } from '../../store/log-integrity';
import { builder } from '../builder';

const AuditIntegrityReportRef = builder.objectRef<IntegrityReport>('AuditIntegrityReport').implement({
  description:
    'The result of recomputing the hash chain: over the whole log from its first event (full), or from the last event a previous check of this server verified up to the head (incremental).',
  fields: (t) => ({
    ok: t.exposeBoolean('ok', { description: 'True when every event checked matches its link in the chain.' }),
    full: t.exposeBoolean('full', {
      description:
        'True when this check walked the log from its first event. False for an incremental check, which did not re-read the events up to fromPosition: an event altered after it was verified is found only by a full check.',
    }),
    fromPosition: t.exposeInt('fromPosition', { description: 'The already-verified event an incremental check went on from; 0 for a full check.' }),
    checkedEvents: t.exposeInt('checkedEvents', { description: 'Events whose links this check recomputed.' }),
    firstBrokenPosition: t.exposeInt('firstBrokenPosition', {
      nullable: true,
      description: 'The log position of the first event that does not match: altered, or preceded by a removed or altered event.',
    }),
    problem: t.exposeString('problem', { nullable: true }),
    headPosition: t.exposeInt('headPosition', { nullable: true, description: 'The last intact event’s position.' }),
    headHash: t.exposeString('headHash', {
      nullable: true,
      description: 'Its chain hash. Keep it outside this service: a later check whose chain no longer reaches it shows the log was cut or rewritten.',
    }),
    checkedAt: t.field({ type: 'DateTime', resolve: (report) => report.checkedAt }),
  }),
});

builder.queryField('auditIntegrity', (t) =>
  t.field({
    type: AuditIntegrityReportRef,
    description:
      'Checks that no stored event was altered, removed or reordered. Needs the operator permission (on "*"): the chain spans every tenant. By default incremental: it checks the events appended since the last intact check of this server (the whole log the first time); full: true walks the whole log again.',
    authScopes: { operator: true },
    args: { full: t.arg.boolean({ defaultValue: false, description: 'Walk the whole log from its first event, re-reading every event.' }) },
    resolve: (_root, args, ctx) => ctx.checkIntegrity({ full: args.full ?? false }),
  }),
);
