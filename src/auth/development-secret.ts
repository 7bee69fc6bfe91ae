import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * In development the server signs its own tokens with a secret kept beside the
 * database, created on first start, so restarts keep earlier tokens valid.
 */
export function loadOrCreateDevelopmentSecret(dataDirectory: string): string {
  const file = join(dataDirectory, 'dev-jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
