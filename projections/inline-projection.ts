import type { Kysely } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import type { LifecycleEvent } from '../events/key-events';
import type { Database } from '../src/store/schema';

/**
 * A read model kept in step with the log inside the appending transaction. It
 * names the tables it owns, so a rebuild knows what to empty and replay, and how
 * it applies a batch of key lifecycle events, in log order (usage has a log of
 * its own, src/usage/, and the books' events concern no read model here).
 */
export interface InlineProjection {
  name: string;
  tables: readonly (keyof Database)[];
  project(db: Kysely<Database>, events: readonly StoredEvent<LifecycleEvent>[]): Promise<void>;
}
