import type { KeyRow } from '../api/types';
import { daysBetween } from '../ui/format';

// Best practices made visible: what a careful owner would want to act on, per key.

/** Days without a verification after which an active key is flagged idle (Project.idleKeys). */
export const IDLE_DAYS = 30;
/** Age after which an active key should be rolled. */
const ROTATION_DAYS = 90;
const EXPIRING_SOON_DAYS = 7;

interface KeyFlag {
  label: string;
  /** Why the flag is there, for its tooltip and screen readers. */
  explain: string;
}

export function flagsOf(key: KeyRow, idle: ReadonlySet<string>, now = Date.now()): KeyFlag[] {
  if (key.status === 'DELETED' || key.status === 'EXPIRED') return [];
  // Rolled: its successor has taken over, and it stops at the end of its grace period.
  if (key.rotatedTo) return [{ label: 'Rolled', explain: 'Replaced by a new key; this one verifies until its grace period ends (see Expires).' }];
  const flags: KeyFlag[] = [];
  if (idle.has(key.id)) flags.push({ label: `Idle ${IDLE_DAYS}+ days`, explain: `Not used for ${IDLE_DAYS} days or more: deactivate it if nothing needs it.` });
  if (!key.expiresAt) flags.push({ label: 'No expiry', explain: 'This key never expires: a leaked copy works until someone deletes it.' });
  else if (new Date(key.expiresAt).getTime() - now < EXPIRING_SOON_DAYS * 86_400_000)
    flags.push({ label: 'Expires soon', explain: `Stops verifying within ${EXPIRING_SOON_DAYS} days: roll it or replace it.` });
  const age = daysBetween(key.createdAt, now);
  if (key.status === 'ACTIVE' && age >= ROTATION_DAYS) flags.push({ label: `${age} days old`, explain: `Older than ${ROTATION_DAYS} days: roll it to a fresh secret.` });
  return flags;
}
