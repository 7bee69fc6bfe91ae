import { z } from 'zod';
import { PERMISSIONS, type Permission, type Principal } from './principal';

const knownPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);

/**
 * The claims we read from a verified token. Unknown permission names are ignored
 * (other tools may add their own); a missing or malformed sub or perms rejects the token.
 */
const claims = z.object({
  sub: z.string().min(1).max(200),
  perms: z.record(z.string().min(1).max(128), z.array(z.string()).max(50)),
});

export function principalFromClaims(payload: unknown): Principal | null {
  const parsed = claims.safeParse(payload);
  if (!parsed.success) return null;
  const perms = new Map<string, Permission[]>();
  for (const [projectId, granted] of Object.entries(parsed.data.perms)) perms.set(projectId, granted.filter(knownPermission));
  return { subject: parsed.data.sub, perms };
}
