import { useEffect, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import KeysQuery from '../api/operations/keys.graphql';
import type { KeyRow, KeysData } from '../api/types';
import { Empty, LoadError, Loading } from '../ui/states';
import { usePolling } from '../ui/use-polling';
import { DeleteDialog } from './delete-dialog';
import { GenerateDialog } from './generate-dialog';
import { type KeyFilter, KeyFilters } from './key-filters';
import { IDLE_DAYS } from './key-flags';
import type { KeyAction } from './key-menu';
import { KeyPager } from './key-pager';
import { KeyTable } from './key-table';
import { RollDialog } from './roll-dialog';
import { StatusChangeDialog } from './status-change-dialog';
import './keys.css';

const PAGE_SIZE = 20;
/** How often the list is reloaded while the tab is visible, so "Last used" follows verifications. */
const REFRESH_MS = 5000;

type Open = { action: KeyAction; key: KeyRow } | { action: 'generate' } | null;

export function KeysPage({ projectId }: { projectId: string }) {
  const [filter, setFilter] = useState<KeyFilter>({ status: '', environment: '' });
  // Cursors of the pages before this one: "Previous page" pops one.
  const [cursors, setCursors] = useState<(string | null)[]>([]);
  const [after, setAfter] = useState<string | null>(null);
  const [open, setOpen] = useState<Open>(null);
  // A load the user asked for (a filter, a page): said while it runs. Background reloads are not,
  // or screen readers would hear "Updating…" every few seconds.
  const [asked, setAsked] = useState(false);

  const variables = {
    projectId,
    first: PAGE_SIZE,
    after,
    idleDays: IDLE_DAYS,
    filter: { ...(filter.status ? { status: filter.status } : {}), ...(filter.environment ? { environment: filter.environment } : {}) },
  };
  // Tied to ApiKey even while the list is empty, so a generated key refetches it.
  const context = useMemo(() => ({ additionalTypenames: ['ApiKey'] }), []);
  const [{ data, error, fetching, stale }, reexecute] = useQuery<KeysData>({ query: KeysQuery, variables, context });
  const refresh = () => reexecute({ requestPolicy: 'network-only' });
  usePolling(refresh, REFRESH_MS, open === null);

  const connection = data?.project.apiKeys;
  const keys = connection?.edges.map((edge) => edge.node) ?? [];
  const idle = new Set(data?.project.idleKeys.edges.map((edge) => edge.node.id));
  const filtered = Boolean(filter.status || filter.environment);
  const previousPage = () => {
    setAfter(cursors.at(-1) ?? null);
    setCursors(cursors.slice(0, -1));
    setAsked(true);
  };
  useEffect(() => {
    if (asked && !fetching && !stale) setAsked(false);
  }, [asked, fetching, stale]);

  // A later page emptied meanwhile (its keys deleted): back to the one before.
  const emptiedPage = data && !fetching && keys.length === 0 && cursors.length > 0;
  useEffect(() => {
    if (emptiedPage) previousPage();
  });

  // The control that had focus may leave with its row (a deleted key, a status filter): focus
  // then goes to the page's heading rather than to nowhere.
  useEffect(() => {
    if (data && open === null && document.activeElement === document.body) document.querySelector<HTMLElement>('main h1')?.focus();
  }, [data, open]);

  // A dialog acts on the key as the list shows it now: after a conflict the list is reloaded,
  // and trying again sends the version the user now sees.
  const current = (key: KeyRow) => keys.find((row) => row.id === key.id) ?? key;
  const close = () => setOpen(null);

  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>API Keys</h1>
          <p className="lead">
            Keys let your services call the API on behalf of project <strong>{projectId}</strong>. Each secret is shown once; keep it in a secret store, never in code.
          </p>
        </div>
        <button type="button" className="primary" onClick={() => setOpen({ action: 'generate' })}>
          Generate New API Key
        </button>
      </div>
      <KeyFilters
        value={filter}
        onChange={(next) => {
          setFilter(next);
          setCursors([]);
          setAfter(null);
          setAsked(true);
        }}
      />
      <p className="updating" role="status">
        {data && asked && (fetching || stale) ? 'Updating…' : ''}
      </p>
      {error && !data ? (
        <LoadError error={error} retry={refresh} />
      ) : !data ? (
        <Loading what="keys" />
      ) : keys.length === 0 ? (
        <Empty>
          {filtered ? (
            <p>No keys match these filters.</p>
          ) : (
            <p>This project has no API keys yet. Generate one for each service that calls the API, so each can be rolled or revoked on its own.</p>
          )}
        </Empty>
      ) : (
        <>
          {error && <LoadError error={error} retry={refresh} />}
          <KeyTable projectId={projectId} keys={keys} idle={idle} busy={fetching} onAction={(action, key) => setOpen({ action, key })} />
        </>
      )}
      {(keys.length > 0 || cursors.length > 0) && (
        <KeyPager
          hasPrevious={cursors.length > 0}
          hasNext={Boolean(connection?.pageInfo.hasNextPage)}
          onPrevious={previousPage}
          onNext={() => {
            setCursors([...cursors, after]);
            setAfter(connection?.pageInfo.endCursor ?? null);
            setAsked(true);
          }}
        />
      )}
      {open?.action === 'generate' && <GenerateDialog projectId={projectId} onClose={close} />}
      {(open?.action === 'deactivate' || open?.action === 'reactivate') && <StatusChangeDialog change={open.action} apiKey={current(open.key)} onClose={close} onStale={refresh} />}
      {open?.action === 'roll' && <RollDialog apiKey={current(open.key)} onClose={close} onStale={refresh} />}
      {open?.action === 'delete' && <DeleteDialog apiKey={current(open.key)} onClose={close} onStale={refresh} />}
    </main>
  );
}
