import type { AuditEventType } from '../api/types';

// Event types in words, each with a symbol, so the table never relies on colour. KeyUsed is
// left out on purpose: it is deprecated and never in the log.
const LOOK: Record<AuditEventType, { label: string; symbol: string }> = {
  KeyGenerated: { label: 'Key generated', symbol: '+' },
  KeyDeactivated: { label: 'Key deactivated', symbol: '❚❚' },
  KeyReactivated: { label: 'Key reactivated', symbol: '▶' },
  KeyRolled: { label: 'Key rolled', symbol: '⟳' },
  KeyDeleted: { label: 'Key deleted', symbol: '✕' },
};

/** The types the filter offers, in the order a key lives through them. */
export const EVENT_TYPES: readonly AuditEventType[] = ['KeyGenerated', 'KeyDeactivated', 'KeyReactivated', 'KeyRolled', 'KeyDeleted'];

/** A type this console does not know yet (a newer server) still shows, by its raw name. */
export function eventLook(type: string): { label: string; symbol: string } {
  return (LOOK as Record<string, { label: string; symbol: string }>)[type] ?? { label: type, symbol: '•' };
}

export function isEventType(value: string): value is AuditEventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
