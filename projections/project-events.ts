import type { Kysely } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import type { Database } from '../src/store/schema';
import { projectApiKey } from './api-keys-projection';
import { projectAuditEvents } from './audit-log-projection';

/**
 * Applies events to every read model. Runs inside the append's transaction
 * (inline projection) and, a batch at a time, during a rebuild: the same code
 * path, so a rebuild cannot drift from what the live service wrote. The key table
 * is updated event by event, in order; audit rows depend on nothing else and are
 * written many to a statement.
 */
export async function projectEvents(db: Kysely<Database>, events: StoredEvent[]): Promise<void> {
  for (const event of events) await projectApiKey(db, event);
  await projectAuditEvents(db, events);
}

export const PROJECTION_TABLES = ['api_keys', 'audit_events'] as const;
