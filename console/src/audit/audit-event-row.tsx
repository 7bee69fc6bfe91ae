import type { AuditEventFields } from '../api/types';
import { hrefOf } from '../shell/routing';
import { RelativeTime } from '../ui/relative-time';
import { EventDetails } from './event-details';
import { eventLook } from './event-labels';

export function AuditEventRow({ projectId, event, isNew }: { projectId: string; event: AuditEventFields; isNew: boolean }) {
  const look = eventLook(event.type);
  return (
    <tr className={isNew ? 'is-new' : undefined} data-event-id={event.id}>
      <td className="audit-when">
        <RelativeTime value={event.occurredAt} />
        {isNew && <span className="new-marker">New</span>}
      </td>
      <td>
        <span className={`event-type event-${event.type}`}>
          <span aria-hidden="true">{look.symbol}</span> {look.label}
        </span>
      </td>
      <td className="audit-key">
        {/* Without keys:read the event does not name its key: its id still leads to it. */}
        <a href={hrefOf({ view: 'key', projectId, keyId: event.keyId })} className={event.key ? undefined : 'mono breakable'}>
          {event.key?.name ?? event.keyId}
        </a>
      </td>
      <td className="audit-actor breakable">{event.actor}</td>
      <td className="audit-reason breakable">{event.reason ?? <span className="muted">None</span>}</td>
      <td>
        <EventDetails projectId={projectId} event={event} />
      </td>
    </tr>
  );
}
