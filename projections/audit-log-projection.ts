import type { Insertable, Kysely } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import type { KeyUsed } from '../events/key-events';
import type { AuditEventsTable, Database } from '../src/store/schema';
import type { InlineProjection } from './inline-projection';

/** One field an event changed, as the audit log shows it. */
export interface AuditChange {
  field: string;
  from: string | null;
  to: string | null;
}

/** audit_events: one row per event (who did what, when, to which key); rows depend on nothing else. */
export const auditLogProjection: InlineProjection = {
  name: 'audit log',
  tables: ['audit_events'],
  project: (db, events) => projectAuditEvents(db, events),
};

/** Appends one audit_events row per event, many rows per statement. */
async function projectAuditEvents(db: Kysely<Database>, events: readonly StoredEvent[]): Promise<void> {
  // Chunks keep each statement under SQLite's bound-parameter limit.
  for (let i = 0; i < events.length; i += 500) {
    await db.insertInto('audit_events').values(events.slice(i, i + 500).map(auditRow)).execute();
  }
}

function auditRow(event: StoredEvent): Insertable<AuditEventsTable> {
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
    category: event.type === 'KeyUsed' ? 'usage' : 'lifecycle',
    reason: 'reason' in event.data ? event.data.reason : null,
    usage: event.type === 'KeyUsed' ? JSON.stringify(usageSummary(event.data)) : null,
    changes: JSON.stringify(changesOf(event)),
    rotated_from: event.type === 'KeyGenerated' ? event.data.rotatedFrom : null,
    rotated_to: event.type === 'KeyRolled' ? event.data.successorId : null,
  };
}

function changesOf(event: StoredEvent): AuditChange[] {
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
    case 'KeyUsed': {
      const { lastValidAt, lastRejectedAt } = event.data;
      return [
        ...(lastValidAt ? [{ field: 'lastUsedAt', from: null, to: lastValidAt }] : []),
        ...(lastRejectedAt ? [{ field: 'lastRejectedAt', from: null, to: lastRejectedAt }] : []),
      ];
    }
  }
}

/** The part of a KeyUsed event the audit log shows. */
export interface UsageSummary {
  count: number;
  firstAt: string;
  lastAt: string;
  valid: number;
  inactive: number;
  expired: number;
  deleted: number;
}

function usageSummary(data: KeyUsed['data']): UsageSummary {
  const { count, firstAt, lastAt, outcomes } = data;
  return { count, firstAt, lastAt, valid: outcomes.VALID ?? 0, inactive: outcomes.INACTIVE ?? 0, expired: outcomes.EXPIRED ?? 0, deleted: outcomes.DELETED ?? 0 };
}
