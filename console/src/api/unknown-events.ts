import type { AuditEventFields } from './types';

// A list shows each event once, however it arrived (a page, a refetch, the subscription).

/** Events not in `known` (nor repeated in `incoming`), in their order. */
export function unknownEvents(incoming: readonly AuditEventFields[], known: ReadonlySet<string> = new Set()): AuditEventFields[] {
  const seen = new Set(known);
  const found: AuditEventFields[] = [];
  for (const event of incoming) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    found.push(event);
  }
  return found;
}
