import type { CombinedError } from '@urql/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import AuditLogQuery from '../api/operations/audit-log.graphql';
import type { AuditEventFields, Connection, PageInfo } from '../api/types';
import { unknownEvents } from '../api/unknown-events';
import { type AuditFilter, toApiFilter } from './audit-filter';
import { appendOlder, mergeNewest } from './merge-events';
import { useAnnouncer } from './use-announcer';

const PAGE_SIZE = 50;
/** How long an event that arrived while the page was open is marked "New". */
const NEW_FOR_MS = 15_000;

interface AuditLogData {
  project: { id: string; auditLog: Connection<AuditEventFields> } | null;
}

interface LogState {
  events: AuditEventFields[];
  pageInfo: PageInfo;
  phase: 'loading' | 'ready' | 'failed';
  error: CombinedError | Error | null;
  moreLoading: boolean;
  moreError: CombinedError | Error | null;
}

type PageResult = { error: CombinedError | Error } | { error?: undefined; events: AuditEventFields[]; pageInfo: PageInfo };

const LOADING: LogState = { events: [], pageInfo: { hasNextPage: false, endCursor: null }, phase: 'loading', error: null, moreLoading: false, moreError: null };

/**
 * The log as the table shows it: the first page for the filter, older pages appended by
 * loadMore, and newer events (pushed live, or found by catchUp) put on top, each once.
 * The queries go out one at a time through the client rather than useQuery: the list is
 * built from several answers plus the subscription, and an answer for a filter no longer
 * shown (the generation moved on) is dropped.
 */
export function useAuditLog(projectId: string, filter: AuditFilter) {
  const client = useClient();
  const [state, setState] = useState<LogState>(LOADING);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(() => new Set());
  const { announcement, announce } = useAnnouncer();
  const generation = useRef(0);
  const known = useRef(new Set<string>());
  const current = useRef(state);
  current.current = state;
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());

  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const timer of pending) clearTimeout(timer);
    };
  }, []);

  const fetchPage = useCallback(
    async (after: string | null): Promise<PageResult> => {
      // Never rejects: the callers run it from event handlers and timers, and show an error result.
      try {
        const result = await client
          .query<AuditLogData>(AuditLogQuery, { projectId, first: PAGE_SIZE, after, filter: toApiFilter(filter) }, { requestPolicy: 'network-only' })
          .toPromise();
        const connection = result.data?.project?.auditLog;
        if (result.error || !connection) return { error: result.error ?? new Error(`Project ${projectId} cannot be opened with your token.`) };
        return { events: connection.edges.map((edge) => edge.node), pageInfo: connection.pageInfo };
      } catch (thrown) {
        return { error: thrown instanceof Error ? thrown : new Error(String(thrown)) };
      }
    },
    [client, projectId, filter],
  );

  const load = useCallback(() => {
    const run = ++generation.current;
    known.current = new Set();
    setFresh(new Set());
    setState(LOADING);
    fetchPage(null).then((page) => {
      if (run !== generation.current) return;
      const { error } = page;
      if (error) return setState((was) => ({ ...was, phase: 'failed', error }));
      for (const event of page.events) known.current.add(event.id);
      // Events pushed live while the page loaded are already in the list: keep them.
      setState((was) => ({ ...was, phase: 'ready', error: null, events: mergeNewest(page.events, was.events), pageInfo: page.pageInfo }));
    });
  }, [fetchPage]);
  useEffect(load, [load]);

  /** Newer events, on top, marked New; with `page`, they replace a list they no longer reach. */
  const arrive = useCallback(
    (incoming: AuditEventFields[], page?: PageInfo) => {
      const added = unknownEvents(incoming, known.current);
      if (added.length === 0) return;
      if (page) {
        generation.current++; // an older page still loading would not join up with this one
        known.current = new Set(incoming.map((event) => event.id));
        setState((was) => ({ ...was, events: incoming, pageInfo: page, moreLoading: false }));
      } else {
        for (const event of added) known.current.add(event.id);
        setState((was) => ({ ...was, events: mergeNewest(was.events, added) }));
      }
      const ids = added.map((event) => event.id);
      setFresh((was) => new Set([...was, ...ids]));
      const timer = setTimeout(() => {
        timers.current.delete(timer);
        setFresh((was) => new Set([...was].filter((id) => !ids.includes(id))));
      }, NEW_FOR_MS);
      timers.current.add(timer);
      announce(added.length);
    },
    [announce],
  );

  /**
   * Reads the first page again and puts what is new on top: fills what the subscription
   * cannot give (events before it started, or while it was down or paused). Resolves
   * false when the service could not be reached.
   */
  const catchUp = useCallback(async (): Promise<boolean> => {
    const run = generation.current;
    if (current.current.phase === 'loading') return true;
    const page = await fetchPage(null);
    if (run !== generation.current) return true;
    if (page.error) return !('networkError' in page.error && page.error.networkError);
    if (current.current.phase === 'failed') {
      load();
      return true;
    }
    // No event in common: more arrived than a page holds, so this page starts the list afresh.
    const overlaps = page.events.some((event) => known.current.has(event.id));
    arrive(page.events, overlaps ? undefined : page.pageInfo);
    return true;
  }, [fetchPage, arrive, load]);

  const loadMore = useCallback(() => {
    const was = current.current;
    if (was.moreLoading || !was.pageInfo.hasNextPage) return;
    const run = generation.current;
    setState((s) => ({ ...s, moreLoading: true, moreError: null }));
    fetchPage(was.pageInfo.endCursor).then((page) => {
      if (run !== generation.current) return;
      const { error } = page;
      if (error) return setState((s) => ({ ...s, moreLoading: false, moreError: error }));
      const older = unknownEvents(page.events, known.current);
      for (const event of older) known.current.add(event.id);
      setState((s) => ({ ...s, moreLoading: false, events: appendOlder(s.events, older), pageInfo: page.pageInfo }));
    });
  }, [fetchPage]);

  return { ...state, fresh, announcement, reload: load, loadMore, catchUp, arrive };
}
