import type { IntegrityReport } from '../../store/log-integrity';
import { builder } from '../builder';

const AuditIntegrityReportRef = builder.objectRef<IntegrityReport>('AuditIntegrityReport').implement({
  description: 'The result of recomputing the hash chain over the whole event log, from its first event.',
  fields: (t) => ({
    ok: t.exposeBoolean('ok', { description: 'True when every event matches its link in the chain.' }),
    checkedEvents: t.exposeInt('checkedEvents'),
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
    description: 'Checks that no stored event was altered, removed or reordered. Needs audit:read (on any project): the chain spans all of them.',
    authScopes: { auditor: true },
    resolve: (_root, _args, ctx) => ctx.checkIntegrity(),
  }),
);
