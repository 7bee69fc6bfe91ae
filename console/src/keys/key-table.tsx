import type { KeyRow } from '../api/types';
import { hrefOf } from '../shell/routing';
import { EnvironmentBadge } from '../ui/environment-badge';
import { RelativeTime } from '../ui/relative-time';
import { StatusBadge } from '../ui/status-badge';
import { flagsOf } from './key-flags';
import { type KeyAction, KeyMenu } from './key-menu';

export function KeyTable({
  projectId,
  keys,
  idle,
  busy,
  onAction,
}: {
  projectId: string;
  keys: KeyRow[];
  idle: ReadonlySet<string>;
  busy: boolean;
  onAction(action: KeyAction, key: KeyRow): void;
}) {
  return (
    <div className="table-wrap">
      <table className="key-table" aria-label="API keys" aria-busy={busy}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Environment</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id} data-key-id={key.id}>
              <th scope="row" className="key-name">
                <a href={hrefOf({ view: 'key', projectId, keyId: key.id })}>{key.name}</a>
                <div>
                  {flagsOf(key, idle).map((flag) => (
                    <span key={flag.label} className="flag" title={flag.explain}>
                      <span aria-hidden="true">⚑ </span>
                      {flag.label}
                      <span className="visually-hidden">: {flag.explain}</span>
                    </span>
                  ))}
                </div>
              </th>
              <td>
                <code className="masked">{key.maskedKey}</code>
              </td>
              <td>
                <EnvironmentBadge environment={key.environment} />
              </td>
              <td>
                <RelativeTime value={key.createdAt} />
                <div className="muted small">by {key.createdBy}</div>
              </td>
              <td className="last-used">
                <RelativeTime value={key.lastUsedAt} />
              </td>
              <td>
                <RelativeTime value={key.expiresAt} />
              </td>
              <td>
                <StatusBadge status={key.status} />
                {key.statusReason && <div className="muted small">Reason: {key.statusReason}</div>}
              </td>
              <td>
                <KeyMenu apiKey={key} projectId={projectId} onAction={onAction} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
