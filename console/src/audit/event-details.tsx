import type { AuditEventFields } from '../api/types';
import { hrefOf } from '../shell/routing';
import { formatExact } from '../ui/format';

/** A recorded value as read: times (fields named …At) in the reader's zone. */
function readable(field: string, value: string): string {
  if (field.endsWith('At') && !Number.isNaN(Date.parse(value))) return formatExact(value);
  return value;
}

function Change({ field, from, to }: { field: string; from: string | null; to: string | null }) {
  return (
    <li>
      <span className="change-field">{field}:</span>{' '}
      {from !== null && (
        <>
          {readable(field, from)} <span aria-hidden="true">→</span>
          <span className="visually-hidden">changed to</span>{' '}
        </>
      )}
      {to === null ? <span className="muted">none</span> : readable(field, to)}
    </li>
  );
}

/** What changed, where a roll leads, and where the request came from. */
export function EventDetails({ projectId, event }: { projectId: string; event: AuditEventFields }) {
  const keyHref = (keyId: string) => hrefOf({ view: 'key', projectId, keyId });
  const origin = [event.clientAddress, event.userAgent].filter(Boolean).join(' · ');
  return (
    <div className="event-details">
      {event.changes.length > 0 && (
        <ul className="changes">
          {event.changes.map((change) => (
            <Change key={change.field} {...change} />
          ))}
        </ul>
      )}
      {event.rotatedToKeyId && (
        <p>
          Rolled to <a href={keyHref(event.rotatedToKeyId)}>its successor</a>
        </p>
      )}
      {event.rotatedFromKeyId && (
        <p>
          Successor of <a href={keyHref(event.rotatedFromKeyId)}>the rolled key</a>
        </p>
      )}
      {origin && <p className="origin breakable">{origin}</p>}
      <p className="origin">
        Request <span className="mono breakable">{event.requestId}</span>
      </p>
    </div>
  );
}
