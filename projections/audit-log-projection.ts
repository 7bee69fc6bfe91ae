import type { Insertable, Kysely } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import { LIFECYCLE_EVENT_TYPES, type LifecycleEvent } from '../events/key-events';
import type { AuditEventsTable, Database } from '../src/store/schema';
import type { InlineProjection } from './inline-projection';

/** One field an event changed, as the audit log shows it. */
export interface AuditChange {
  field: string;
  from: string | null;
  to: string | null;
}

/**
 * audit_events: one row per key lifecycle event (who did what, when, to which key);
 * rows depend on nothing else. Whatever else reaches it is skipped, by type: legacy
 * KeyUsed events (usage has a log of its own, read through ApiKey.usage and
 * Project.usage) and events about no key (the usage log's books).
 */
export const auditLogProjection: InlineProjection = {
  name: 'audit log',
  tables: ['audit_events'],
  project: (db, events) => projectAuditEvents(db, events),
};

/** Appends one audit_events row per lifecycle event, many rows per statement. */
async function projectAuditEvents(db: Kysely<Database>, events: readonly StoredEvent<LifecycleEvent>[]): Promise<void> {
  const rows = events.filter((event) => LIFECYCLE_EVENT_TYPES.has(event.type)).map(auditRow);
  // Chunks keep each statement under SQLite's bound-parameter limit.
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('audit_events')
      .values(rows.slice(i, i + 500))
      .execute();
  }
}

function auditRow(event: StoredEvent<LifecycleEvent>): Insertable<AuditEventsTable> {
  return {
    position: event.position,
    key_id: event.data.keyId,
    project_id: event.data.projectId,
    type: event.type,
    actor: event.metadata.actor,
    request_id: event.metadata.requestId,
    client_address: event.metadata.clientAddress ?? null,
    user_agent: event.metadata.userAgent ?? null,
    occurred_at: event.recordedAt,
    // Kept for the schema; every row is a lifecycle row now.
    category: 'lifecycle',
    reason: 'reason' in event.data ? event.data.reason : null,
    usage: null,
    changes: JSON.stringify(changesOf(event)),
    rotated_from: event.type === 'KeyGenerated' ? event.data.rotatedFrom : null,
    rotated_to: event.type === 'KeyRolled' ? event.data.successorId : null,
  };
}

function changesOf(event: StoredEvent<LifecycleEvent>): AuditChange[] {
  switch (event.type) {
    case 'KeyGenerated':
      return [
        { field: 'status', from: null, to: 'ACTIVE' },
        { field: 'name', from: null, to: event.data.name },
        { field: 'environment', from: null, to: event.data.environment },
        ...(event.data.expiresAt ? [{ field: 'expiresAt', from: null, to: event.data.expiresAt }] : []),
      ];
    case 'KeyRolled':
      return [{ field: 'expiresAt', from: event.data.previousExpiresAt, to: event.data.expiresAt }];
    case 'KeyDeactivated':
      return [{ field: 'status', from: 'ACTIVE', to: 'INACTIVE' }];
    case 'KeyReactivated':
      return [{ field: 'status', from: 'INACTIVE', to: 'ACTIVE' }];
    case 'KeyDeleted':
      return [{ field: 'status', from: event.data.previousStatus, to: 'DELETED' }];
  }
}
