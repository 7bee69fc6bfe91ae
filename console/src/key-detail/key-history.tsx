import { useEffect, useId, useRef, useState } from 'react';
import { useQuery } from 'urql';
import KeyHistoryQuery from '../api/operations/key-history.graphql';
import type { AuditEventFields } from '../api/types';
import { unknownEvents } from '../api/unknown-events';
import { Empty, LoadError, Loading } from '../ui/states';
import { usePolling } from '../ui/use-polling';
import { HistoryEvent } from './history-event';
import type { KeyHistoryData } from './types';

const PAGE_SIZE = 50;
/** How often the newest events are asked for again while the tab is visible: another client's change shows without a reload. */
const REFRESH_MS = 15_000;

/** The key's lifecycle events, newest first, 50 at a time: "Show more" adds the next page below. */
export function KeyHistory({ projectId, keyId }: { projectId: string; keyId: string }) {
  const headingId = useId();
  const [after, setAfter] = useState<string | null>(null);
  // The pages already shown: kept as they were, while the newest page asked for stays live.
  const [earlier, setEarlier] = useState<AuditEventFields[]>([]);
  const [focusFrom, setFocusFrom] = useState<number | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const [{ data, error, fetching }, reexecute] = useQuery<KeyHistoryData>({ query: KeyHistoryQuery, variables: { id: keyId, first: PAGE_SIZE, after } });
  // The newest page, kept live above the pages shown so far (the same request as the first page until "Show more").
  const [{ data: newest }, reexecuteNewest] = useQuery<KeyHistoryData>({ query: KeyHistoryQuery, variables: { id: keyId, first: PAGE_SIZE, after: null } });
  usePolling(() => reexecuteNewest({ requestPolicy: 'network-only' }), REFRESH_MS, true);

  const page = data?.apiKey?.auditHistory;
  const nodes = (history: typeof page) => history?.edges.map((edge) => edge.node) ?? [];
  // While the next page loads the previous one may still be the live result: an event is listed once.
  const events = unknownEvents([...nodes(newest?.apiKey?.auditHistory), ...earlier, ...nodes(page)]);

  // After "Show more", focus goes to the first event added, so keyboard users carry on from there.
  useEffect(() => {
    if (focusFrom === null || events.length <= focusFrom) return;
    (list.current?.children[focusFrom] as HTMLElement | undefined)?.focus();
    setFocusFrom(null);
  }, [focusFrom, events.length]);

  const showMore = () => {
    if (!page?.pageInfo.endCursor) return;
    setFocusFrom(events.length);
    setEarlier(events);
    setAfter(page.pageInfo.endCursor);
  };

  return (
    <section className="detail-section" aria-labelledby={headingId}>
      <h2 id={headingId}>History</h2>
      {events.length > 0 && (
        <ol ref={list} className="history">
          {events.map((event) => (
            <li key={event.id} className="history-event" tabIndex={-1}>
              <HistoryEvent projectId={projectId} event={event} />
            </li>
          ))}
        </ol>
      )}
      {error ? (
        <LoadError error={error} retry={() => reexecute({ requestPolicy: 'network-only' })} />
      ) : fetching && (!page || earlier.length > 0) ? (
        <Loading what="history" />
      ) : events.length === 0 ? (
        <Empty>
          <p>No events yet.</p>
        </Empty>
      ) : (
        page?.pageInfo.hasNextPage && (
          <div className="pager">
            <button type="button" onClick={showMore} disabled={fetching}>
              Show more
            </button>
          </div>
        )
      )}
    </section>
  );
}
