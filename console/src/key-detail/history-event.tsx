import type { AuditEventFields, AuditEventType } from '../api/types';
import { hrefOf } from '../shell/routing';
import { formatExact } from '../ui/format';
import { RelativeTime } from '../ui/relative-time';

const LABELS: Record<AuditEventType, string> = {
  KeyGenerated: 'Generated',
  KeyDeactivated: 'Deactivated',
  KeyReactivated: 'Reactivated',
  KeyRolled: 'Rolled',
  KeyDeleted: 'Deleted',
};

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** One lifecycle event: what, when, who, why, and each field it changed. */
export function HistoryEvent({ projectId, event }: { projectId: string; event: AuditEventFields }) {
  return (
    <>
      <div className="event-head">
        <strong className="event-type">{LABELS[event.type] ?? event.type}</strong> <RelativeTime value={event.occurredAt} /> <span className="event-actor">by {event.actor}</span>
      </div>
      {event.reason && <p className="event-line">Reason: {event.reason}</p>}
      {event.rotatedFromKeyId && (
        <p className="event-line">
          Replacing <a href={hrefOf({ view: 'key', projectId, keyId: event.rotatedFromKeyId })}>the previous key</a>
        </p>
      )}
      {event.rotatedToKeyId && (
        <p className="event-line">
          Replaced by <a href={hrefOf({ view: 'key', projectId, keyId: event.rotatedToKeyId })}>the new key</a>
        </p>
      )}
      {event.changes.length > 0 && (
        <ul className="event-changes">
          {event.changes.map((change) => (
            <li key={change.field}>
              <code>{change.field}</code>: <Value value={change.from} /> <span aria-hidden="true">→</span>
              <span className="visually-hidden">to</span> <Value value={change.to} />
            </li>
          ))}
        </ul>
      )}
      <p className="event-line muted small">
        Request <code>{event.requestId}</code>
      </p>
    </>
  );
}

/** A changed field's value: times as people read them, an absent value as "none". */
function Value({ value }: { value: string | null }) {
  if (value === null || value === '') return <span className="muted">none</span>;
  if (ISO_TIME.test(value) && !Number.isNaN(Date.parse(value)))
    return (
      <time dateTime={value} className="event-value">
        {formatExact(value)}
      </time>
    );
  return <span className="event-value">{value}</span>;
}
