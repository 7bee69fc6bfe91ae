import type { AuditEventFields } from '../api/types';
import { AuditEventRow } from './audit-event-row';

export function AuditTable({ projectId, events, fresh }: { projectId: string; events: AuditEventFields[]; fresh: ReadonlySet<string> }) {
  return (
    <div className="table-wrap">
      <table className="audit-table" aria-label="Audit events">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Key</th>
            <th scope="col">Actor</th>
            <th scope="col">Reason</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <AuditEventRow key={event.id} projectId={projectId} event={event} isNew={fresh.has(event.id)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
