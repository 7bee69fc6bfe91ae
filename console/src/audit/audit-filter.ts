import type { AuditEventFields, AuditEventType } from '../api/types';

/** The filter as applied: times already in ISO UTC, empty strings for "any". */
export interface AuditFilter {
  type: AuditEventType | '';
  keyId: string;
  actor: string;
  from: string;
  to: string;
}

export const NO_FILTER: AuditFilter = { type: '', keyId: '', actor: '', from: '', to: '' };

export function isFiltered(filter: AuditFilter): boolean {
  return Object.values(filter).some((value) => value !== '');
}

/** The AuditLogFilter input: only what is set, so an empty filter asks for everything. */
export function toApiFilter(filter: AuditFilter): Record<string, unknown> {
  return {
    ...(filter.type ? { types: [filter.type] } : {}),
    ...(filter.keyId ? { keyId: filter.keyId } : {}),
    ...(filter.actor ? { actor: filter.actor } : {}),
    ...(filter.from ? { from: filter.from } : {}),
    ...(filter.to ? { to: filter.to } : {}),
  };
}

/**
 * The server's own rules, applied to an event the subscription pushed (it sends every
 * event of the project): actor matches exactly, from is inclusive, to exclusive.
 */
export function matchesFilter(event: AuditEventFields, filter: AuditFilter): boolean {
  const at = Date.parse(event.occurredAt);
  if (filter.type && event.type !== filter.type) return false;
  if (filter.keyId && event.keyId !== filter.keyId) return false;
  if (filter.actor && event.actor !== filter.actor) return false;
  if (filter.from && at < Date.parse(filter.from)) return false;
  if (filter.to && at >= Date.parse(filter.to)) return false;
  return true;
}

/** ISO UTC back into a datetime-local value, to show an applied filter in the form. */
export function toLocalInput(iso: string): string {
  if (!iso) return '';
  const time = new Date(iso);
  const local = new Date(time.getTime() - time.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
