import type { AuditEventFields } from '../api/types';
import { unknownEvents } from '../api/unknown-events';

/**
 * Newer events into a newest-first list. Recorded times never go back along the log, so
 * sorting by time (stable, for events of the same millisecond) keeps log order.
 */
export function mergeNewest(list: readonly AuditEventFields[], newer: readonly AuditEventFields[]): AuditEventFields[] {
  const fresh = unknownEvents(newer, new Set(list.map((event) => event.id)));
  if (fresh.length === 0) return list as AuditEventFields[];
  return [...fresh, ...list].sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt));
}

/** An older page after the list (Load more). */
export function appendOlder(list: readonly AuditEventFields[], older: readonly AuditEventFields[]): AuditEventFields[] {
  return [...list, ...unknownEvents(older, new Set(list.map((event) => event.id)))];
}
