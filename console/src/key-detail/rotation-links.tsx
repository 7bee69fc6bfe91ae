import { useId } from 'react';
import { hrefOf } from '../shell/routing';
import { StatusBadge } from '../ui/status-badge';
import type { KeyDetail, KeyLink } from './types';

/** The key this one replaced (rotatedFrom) and the one that replaced it (rotatedTo), if it was rolled. */
export function RotationLinks({ projectId, apiKey }: { projectId: string; apiKey: KeyDetail }) {
  const headingId = useId();
  const { rotatedFrom, rotatedTo } = apiKey;
  return (
    <section className="detail-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Rotation</h2>
      {!rotatedFrom && !rotatedTo ? (
        <p className="muted">Not part of a rotation.</p>
      ) : (
        <dl className="rotation">
          {rotatedFrom && (
            <div className="rotation-entry">
              <dt>Replaces</dt>
              <dd>
                <KeyLinkCard projectId={projectId} link={rotatedFrom} />
              </dd>
            </div>
          )}
          {rotatedTo && (
            <div className="rotation-entry">
              <dt>Replaced by</dt>
              <dd>
                <KeyLinkCard projectId={projectId} link={rotatedTo} />
              </dd>
            </div>
          )}
        </dl>
      )}
    </section>
  );
}

function KeyLinkCard({ projectId, link }: { projectId: string; link: KeyLink }) {
  return (
    <span className="key-link">
      {/* The masked key is part of the link's name: a rolled key keeps its name, so the name alone does not tell the two apart. */}
      <a href={hrefOf({ view: 'key', projectId, keyId: link.id })}>
        <span className="key-link-name">{link.name}</span> <code className="mono">{link.maskedKey}</code>
      </a>{' '}
      <StatusBadge status={link.status} />
    </span>
  );
}
