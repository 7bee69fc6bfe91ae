import type { CombinedError } from '@urql/core';
import { useCallback, useRef, useState } from 'react';
import type { AuditEventFields } from '../api/types';
import { Empty, LoadError, Loading } from '../ui/states';
import { type AuditFilter, isFiltered, matchesFilter, NO_FILTER } from './audit-filter';
import { AuditFilters } from './audit-filters';
import { AuditTable } from './audit-table';
import { IntegrityStatus } from './integrity-status';
import { useLiveEvents } from './live-events';
import { LiveControls } from './live-status';
import { useAuditLog } from './use-audit-log';
import './audit.css';

/** Errors the API gives for a filter it refuses: shown at the filters, not in place of the table. */
const FILTER_ERROR_CODES = new Set(['VALIDATION', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']);

function filterErrorOf(error: CombinedError | Error | null): string | null {
  const graphQLErrors = (error as CombinedError | null)?.graphQLErrors ?? [];
  if (graphQLErrors.length === 0 || !graphQLErrors.every((e) => FILTER_ERROR_CODES.has(String(e.extensions?.code)))) return null;
  return graphQLErrors.map((e) => e.message).join(' ');
}

export function AuditPage({ projectId, operator }: { projectId: string; operator: boolean }) {
  const [filter, setFilter] = useState<AuditFilter>(NO_FILTER);
  const [paused, setPaused] = useState(false);
  const log = useAuditLog(projectId, filter);
  const current = useRef(filter);
  current.current = filter;
  const { arrive } = log;
  // The stream carries every event of the project: only those the filter would show join.
  const onEvents = useCallback((events: AuditEventFields[]) => arrive(events.filter((event) => matchesFilter(event, current.current)).reverse()), [arrive]);
  const status = useLiveEvents({ projectId, paused, onEvents, catchUp: log.catchUp });
  const filterError = filterErrorOf(log.error);

  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>Audit log</h1>
          <p className="lead">Every change to this project's keys, who made it and when. The log is append-only: nothing in it is ever edited or removed.</p>
        </div>
        <LiveControls status={status} onToggle={() => setPaused((was) => !was)} />
      </div>
      <p className="visually-hidden" aria-live="polite">
        {log.announcement}
      </p>
      <IntegrityStatus operator={operator} />
      <AuditFilters value={filter} error={filterError} onApply={setFilter} />
      {log.phase === 'loading' && log.events.length === 0 ? (
        <Loading what="the audit log" />
      ) : log.phase === 'failed' && filterError ? null : log.phase === 'failed' && log.error ? (
        <LoadError error={log.error} retry={log.reload} />
      ) : log.events.length === 0 ? (
        <Empty>
          <p>{isFiltered(filter) ? 'No events match.' : "No events yet. Changes to this project's keys appear here as they happen."}</p>
        </Empty>
      ) : (
        <>
          <AuditTable projectId={projectId} events={log.events} fresh={log.fresh} />
          {log.moreError && <LoadError error={log.moreError} retry={log.loadMore} />}
          <div className="pager">
            {log.pageInfo.hasNextPage ? (
              <button type="button" onClick={log.loadMore} aria-disabled={log.moreLoading}>
                Load more
              </button>
            ) : (
              <p className="muted">No older events.</p>
            )}
          </div>
          {log.moreLoading && <Loading what="older events" />}
        </>
      )}
    </main>
  );
}
