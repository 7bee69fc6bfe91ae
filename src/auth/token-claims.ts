import { z } from 'zod';
import { PERMISSIONS, type Permission, type Principal } from './principal';

const knownPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);

/**
 * Control characters, bidi overrides and isolates, zero-width and other invisible
 * format characters, line and paragraph separators, and the Hangul fillers (letters
 * that draw nothing): the sub is written into every event as the actor, and such a
 * character would let one actor read as another in the audit log or a terminal.
 */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0]/u;
const MAX_SUBJECT_LENGTH = 200;

/**
 * Checked like key names, but kept as sent (not trimmed or normalised): the
 * identity provider's subject is an identifier, and two that differ must stay two.
 */
const subject = z
  .string()
  .refine((value) => value.trim().length > 0)
  .refine((value) => !INVISIBLE_OR_CONTROL.test(value))
  .refine((value) => [...value].length <= MAX_SUBJECT_LENGTH);

const permsClaim = z.record(z.string().min(1).max(128), z.array(z.string()).max(50));

export type ClaimsResult = { principal: Principal } | { invalid: 'sub' | 'perms' };

/**
 * The claims we read from a verified token. Unknown permission names are ignored
 * (other tools may add their own); a missing or malformed sub or perms rejects the
 * token, and the answer names which.
 */
export function principalFromClaims(payload: { sub?: unknown; perms?: unknown }): ClaimsResult {
  const sub = subject.safeParse(payload.sub);
  if (!sub.success) return { invalid: 'sub' };
  const granted = permsClaim.safeParse(payload.perms);
  if (!granted.success) return { invalid: 'perms' };
  const perms = new Map<string, Permission[]>();
  for (const [projectId, names] of Object.entries(granted.data)) perms.set(projectId, names.filter(knownPermission));
  return { principal: { subject: sub.data, perms } };
}
