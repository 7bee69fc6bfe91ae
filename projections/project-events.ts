import type { Kysely } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import { isLifecycleEvent, type LogEvent } from '../events/log-events';
import type { Database } from '../src/store/schema';
import { apiKeysProjection } from './api-keys-projection';
import { auditLogProjection } from './audit-log-projection';
import type { InlineProjection } from './inline-projection';

/**
 * Every inline projection, registered once. A new read model is a folder of its
 * own and one line here: the commit pipeline runs it inside every append, and a
 * rebuild empties its tables and replays the log through it.
 */
export const PROJECTIONS: readonly InlineProjection[] = [apiKeysProjection, auditLogProjection];

/** The tables the projections own: what a rebuild replaces. */
export const PROJECTION_TABLES = PROJECTIONS.flatMap((projection) => projection.tables);

/**
 * Applies events to every read model. Runs inside the append's transaction
 * (inline projection) and, a batch at a time, during a rebuild: the same code
 * path, so a rebuild cannot drift from what the live service wrote.
 */
export async function projectEvents(db: Kysely<Database>, events: readonly StoredEvent<LogEvent>[]): Promise<void> {
  const lifecycle = events.filter(isLifecycleEvent);
  if (lifecycle.length === 0) return;
  for (const projection of PROJECTIONS) await projection.project(db, lifecycle);
}
