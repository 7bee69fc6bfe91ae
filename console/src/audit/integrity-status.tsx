import { useState } from 'react';
import { useQuery } from 'urql';
import AuditIntegrityQuery from '../api/operations/audit-integrity.graphql';
import { RelativeTime } from '../ui/relative-time';
import { describeError } from '../ui/states';

interface IntegrityReport {
  ok: boolean;
  full: boolean;
  fromPosition: number;
  checkedEvents: number;
  firstBrokenPosition: number | null;
  problem: string | null;
  headPosition: number | null;
  headHash: string | null;
  checkedAt: string;
}

/** The hash chain's state. Only an operator (on "*") may check it: the chain spans every tenant. */
export function IntegrityStatus({ operator }: { operator: boolean }) {
  return (
    <section className="integrity" aria-label="Log integrity">
      <h2>Log integrity</h2>
      {operator ? (
        <IntegrityCheck />
      ) : (
        <p className="muted">
          Checking the log's integrity needs the operator permission (<code>npm run verify-log</code> does it offline).
        </p>
      )}
    </section>
  );
}

function IntegrityCheck() {
  // Incremental first: only the events since this server's last intact check.
  const [full, setFull] = useState(false);
  const [{ data, error, fetching }, recheck] = useQuery<{ auditIntegrity: IntegrityReport }>({
    query: AuditIntegrityQuery,
    variables: { full },
    requestPolicy: 'network-only',
  });
  const report = fetching || error ? undefined : data?.auditIntegrity;
  return (
    <div className="integrity-body">
      <div>
        {/* Only the verdict is announced: the time under it ticks, and must not be read out each time. */}
        <div aria-live="polite">{fetching ? <p>Checking the log…</p> : error ? <p className="alert">{describeError(error)}</p> : report ? <Verdict report={report} /> : null}</div>
        {report && <Scope report={report} />}
      </div>
      {/* aria-disabled, not disabled: the button keeps focus while the check runs. */}
      <button type="button" aria-disabled={fetching} onClick={() => fetching || (full ? recheck({ requestPolicy: 'network-only' }) : setFull(true))}>
        Check the whole log
      </button>
    </div>
  );
}

function Verdict({ report }: { report: IntegrityReport }) {
  const events = `${report.checkedEvents} event${report.checkedEvents === 1 ? '' : 's'} checked`;
  return report.ok ? (
    <p className="integrity-verdict integrity-ok">
      <span aria-hidden="true">✓</span> Intact: {events}
      {report.headPosition === null ? ', the log is empty' : `, head #${report.headPosition}`}
    </p>
  ) : (
    <p className="integrity-verdict integrity-broken">
      <span aria-hidden="true">✕</span> Broken at position {report.firstBrokenPosition}: {report.problem ?? 'an event does not match its link in the chain'}
    </p>
  );
}

function Scope({ report }: { report: IntegrityReport }) {
  return (
    <>
      <p className="integrity-scope">
        {report.full ? 'The whole log was checked' : `Checked the events after #${report.fromPosition}; a whole-log check re-reads the earlier ones too`},{' '}
        <RelativeTime value={report.checkedAt} />.
      </p>
      {report.headHash && (
        <p className="integrity-scope">
          Head hash (keep it outside this service): <code className="breakable">{report.headHash}</code>
        </p>
      )}
    </>
  );
}
