import type { BooksEvent } from './books-events';
import type { StoredEvent } from './event-envelope';
import { EVENT_SCHEMA_VERSIONS, type KeyEvent, LIFECYCLE_EVENT_TYPES, type LifecycleEvent } from './key-events';

/** Everything the chained log holds: what happened to keys, and the usage log's books. */
export type LogEvent = KeyEvent | BooksEvent;
export type LogEventType = LogEvent['type'];

/** Current schema version of each event's payload, stored beside it in the log. */
export const LOG_EVENT_SCHEMA_VERSIONS: Record<LogEventType, number> = { ...EVENT_SCHEMA_VERSIONS, UsageHourClosed: 1, UsagePruned: 1 };

export function isLogEventType(type: string): type is LogEventType {
  return Object.hasOwn(LOG_EVENT_SCHEMA_VERSIONS, type);
}

export function isLifecycleEvent(event: StoredEvent<LogEvent>): event is StoredEvent<LifecycleEvent> {
  return LIFECYCLE_EVENT_TYPES.has(event.type);
}
