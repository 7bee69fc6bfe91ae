import { useEffect, useRef, useState } from 'react';
import { useSubscription } from 'urql';
import AuditEventsSubscription from '../api/operations/audit-events.graphql';
import type { AuditEventFields } from '../api/types';

export type LiveStatus = 'live' | 'reconnecting' | 'paused';

/** Between checks that nothing was missed (and that the service is still there). */
const CHECK_EVERY_MS = 20_000;
/** After (re)subscribing: long enough for the stream to be open, so the check covers the gap. */
const SETTLE_MS = 1_500;
const MAX_RETRY_MS = 30_000;
/** Pushed events kept for the page to pick up; far more than arrive between two renders. */
const KEEP = 100;

interface Received {
  count: number;
  recent: AuditEventFields[];
}

interface LiveOptions {
  projectId: string;
  paused: boolean;
  /** Events pushed by the service, oldest first, each once. */
  onEvents(events: AuditEventFields[]): void;
  /** Fetches what may have been missed; resolves false when the service was not reached. */
  catchUp(): Promise<boolean>;
}

/**
 * The project's new events over server-sent events, with a status to show. The stream
 * delivers only events after it opened, and graphql-sse retries a dropped connection on
 * its own without saying so; so a check (catchUp) runs shortly after each (re)start and
 * then regularly. A failed check means the service is down: "Reconnecting…" until a check
 * gets through, then the subscription starts afresh. A subscription error does the same.
 */
export function useLiveEvents({ projectId, paused, onEvents, catchUp }: LiveOptions): LiveStatus {
  const [result, resubscribe] = useSubscription<{ auditEvents: AuditEventFields }, Received>(
    { query: AuditEventsSubscription, variables: { projectId }, pause: paused },
    (was, data) => ({ count: (was?.count ?? 0) + 1, recent: [...(was?.recent ?? []).slice(1 - KEEP), data.auditEvents] }),
  );
  const [down, setDown] = useState(false);
  const online = useOnline();
  const latest = useRef({ onEvents, catchUp, resubscribe });
  latest.current = { onEvents, catchUp, resubscribe };
  const handled = useRef(0);
  // Consecutive failures, for the back-off: of checks (the service down), and of the
  // subscription itself (refused, say), which a check getting through does not cure.
  const checkFailures = useRef(0);
  const streamFailures = useRef(0);
  const wake = useRef<(failed: boolean) => void>(() => {});

  useEffect(() => {
    const received = result.data;
    if (!received || received.count <= handled.current) return;
    const count = Math.min(received.count - handled.current, KEEP);
    handled.current = received.count;
    streamFailures.current = 0;
    latest.current.onEvents(received.recent.slice(-count));
  }, [result.data]);

  useEffect(() => {
    if (result.error) wake.current(true);
  }, [result.error]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: another project's stream opens anew, and needs its own catch-up
  useEffect(() => {
    if (paused) return;
    let stopped = false;
    let isDown = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(check, ms);
    };
    const check = async () => {
      if (!isDown && document.visibilityState === 'hidden') return schedule(CHECK_EVERY_MS);
      const reached = await latest.current.catchUp();
      if (stopped) return;
      if (!reached) {
        isDown = true;
        setDown(true);
        return schedule(retryDelay(++checkFailures.current));
      }
      checkFailures.current = 0;
      if (!isDown) return schedule(CHECK_EVERY_MS);
      isDown = false;
      setDown(false);
      latest.current.resubscribe();
      schedule(SETTLE_MS);
    };
    wake.current = (failed) => {
      if (failed) {
        isDown = true;
        setDown(true);
      }
      schedule(failed ? retryDelay(++streamFailures.current) : 0);
    };
    setDown(false);
    schedule(SETTLE_MS);
    const onVisible = () => document.visibilityState === 'visible' && wake.current(false);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      wake.current = () => {};
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [paused, projectId]);

  const wasOnline = useRef(online);
  useEffect(() => {
    if (online && !wasOnline.current) wake.current(false);
    wasOnline.current = online;
  }, [online]);

  if (paused) return 'paused';
  return down || !online ? 'reconnecting' : 'live';
}

function retryDelay(failures: number): number {
  return Math.min(MAX_RETRY_MS, 1000 * 2 ** Math.min(failures, 5));
}

function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}
