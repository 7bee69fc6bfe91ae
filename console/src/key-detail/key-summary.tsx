import type { ReactNode } from 'react';
import { EnvironmentBadge } from '../ui/environment-badge';
import { RelativeTime } from '../ui/relative-time';
import { StatusBadge } from '../ui/status-badge';
import type { KeyDetail } from './types';
import { formatCount } from './usage-range';

/** The key as it is now, as a list of facts. */
export function KeySummary({ apiKey }: { apiKey: KeyDetail }) {
  return (
    <dl className="key-facts">
      <Fact term="Key">
        <code className="mono">{apiKey.maskedKey}</code>
      </Fact>
      <Fact term="Environment">
        <EnvironmentBadge environment={apiKey.environment} />
      </Fact>
      <Fact term="Status">
        <StatusBadge status={apiKey.status} />
        {apiKey.statusReason && <div className="fact-note">Reason: {apiKey.statusReason}</div>}
        <div className="fact-note muted">
          Since <RelativeTime value={apiKey.statusChangedAt} /> by {apiKey.statusChangedBy}
        </div>
      </Fact>
      <Fact term="Created">
        <RelativeTime value={apiKey.createdAt} />
        <div className="fact-note muted">by {apiKey.createdBy}</div>
      </Fact>
      <Fact term="Last used">
        <RelativeTime value={apiKey.lastUsedAt} />
      </Fact>
      <Fact term="Last refused">
        <RelativeTime value={apiKey.lastRejectedAt} />
        {apiKey.lastRejectedAt && apiKey.lastRejectedCode && (
          <div className="fact-note muted">
            code <code>{apiKey.lastRejectedCode}</code>
          </div>
        )}
      </Fact>
      <Fact term="Expires">
        <RelativeTime value={apiKey.expiresAt} never="Never expires" />
      </Fact>
      <Fact term="Verifications">
        {formatCount(apiKey.usageCount)}
        <div className="fact-note muted">accepted and refused, all time</div>
      </Fact>
      <Fact term="Version">{apiKey.version}</Fact>
    </dl>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="key-fact">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}
