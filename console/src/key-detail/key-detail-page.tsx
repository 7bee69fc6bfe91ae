import type { CombinedError } from '@urql/core';
import { useQuery } from 'urql';
import KeyDetailQuery from '../api/operations/key-detail.graphql';
import { hrefOf } from '../shell/routing';
import { Empty, LoadError, Loading } from '../ui/states';
import { usePolling } from '../ui/use-polling';
import { KeyHistory } from './key-history';
import { KeySummary } from './key-summary';
import { RotationLinks } from './rotation-links';
import { TimeTravel } from './time-travel';
import type { KeyDetailData } from './types';
import { UsageSection } from './usage-section';
import './key-detail.css';

/** How often the summary is reloaded while the tab is visible, so "Last used" and the count follow verifications. */
const REFRESH_MS = 15_000;

/** One key: what it is now, its rotation, its usage over time, its history, and how it was at a chosen moment. */
export function KeyDetailPage({ projectId, keyId }: { projectId: string; keyId: string }) {
  const [{ data, error, fetching }, reexecute] = useQuery<KeyDetailData>({ query: KeyDetailQuery, variables: { id: keyId } });
  const refresh = () => reexecute({ requestPolicy: 'network-only' });
  usePolling(refresh, REFRESH_MS, Boolean(data?.apiKey));

  const back = (
    <p className="key-detail-back">
      <a href={hrefOf({ view: 'keys', projectId })}>
        <span aria-hidden="true">← </span>All keys
      </a>
    </p>
  );
  const apiKey = data?.apiKey;

  if (!data && (fetching || !error))
    return (
      <main id="main" className="key-detail">
        <h1 tabIndex={-1}>API key</h1>
        <Loading what="the key" />
      </main>
    );
  // A key of another project is as good as none here: its id was typed or pasted into this project's URL.
  if ((data && (!apiKey || apiKey.projectId !== projectId)) || (error && !data && isUnknownKey(error)))
    return (
      <main id="main" className="key-detail">
        <h1 tabIndex={-1}>No such key in this project</h1>
        <Empty>
          <p>
            Project <strong>{projectId}</strong> has no key with this id. It may be in another project, or the link may be incomplete.
          </p>
          <p>
            <a href={hrefOf({ view: 'keys', projectId })}>Back to all keys</a>
          </p>
        </Empty>
      </main>
    );
  if (!apiKey)
    return (
      <main id="main" className="key-detail">
        <h1 tabIndex={-1}>API key</h1>
        {back}
        <LoadError error={error!} retry={refresh} />
      </main>
    );

  return (
    <main id="main" className="key-detail">
      <h1 tabIndex={-1}>{apiKey.name}</h1>
      {back}
      {error && <LoadError error={error} retry={refresh} />}
      <KeySummary apiKey={apiKey} />
      <RotationLinks projectId={projectId} apiKey={apiKey} />
      <UsageSection key={`usage-${keyId}`} keyId={keyId} />
      <KeyHistory key={`history-${keyId}`} projectId={projectId} keyId={keyId} />
      <TimeTravel key={`as-of-${keyId}`} keyId={keyId} />
    </main>
  );
}

/** An id the API cannot resolve (made up, cut short) answers NOT_FOUND or VALIDATION rather than null. */
function isUnknownKey(error: CombinedError): boolean {
  return error.graphQLErrors.some((e) => e.extensions?.code === 'NOT_FOUND' || e.extensions?.code === 'VALIDATION');
}
