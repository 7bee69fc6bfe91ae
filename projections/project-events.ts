import type { Kysely } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import type { Database } from '../src/store/schema';
import { projectApiKey } from './api-keys-projection';
import { projectAuditEvent } from './audit-log-projection';

/** Every read model, in the order they are applied. */
const projections = [projectApiKey, projectAuditEvent];

/**
 * Applies events to every read model. Runs inside the append's transaction
 * (inline projection) and, event by event, during a rebuild: the same code path,
 * so a rebuild cannot drift from what the live service wrote.
 */
export async function projectEvents(db: Kysely<Database>, events: StoredEvent[]): Promise<void> {
  for (const event of events) {
    for (const project of projections) await project(db, event);
  }
}

export const PROJECTION_TABLES = ['api_keys', 'audit_events'] as const;
