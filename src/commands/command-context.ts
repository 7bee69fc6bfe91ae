import type { EventMetadata, StoredEvent } from '../../events/event-envelope';
import type { Db } from '../store/database';

/** What every command needs besides its own input: where to write, who asks, and the time. */
export interface CommandContext {
  db: Db;
  metadata: EventMetadata;
  now: () => Date;
  /** Told of every committed event, after the commit: keeps in-memory caches exact. */
  afterCommit?: (events: StoredEvent[]) => void;
}
