import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { causeOf, StartFailure } from '../config/start-failure';

/**
 * In development the server signs its own tokens with a secret kept beside the
 * database, created on first start, so restarts keep earlier tokens valid.
 */
export function loadOrCreateDevelopmentSecret(dataDirectory: string): string {
  const file = join(dataDirectory, 'dev-jwt-secret');
  try {
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    mkdirSync(dataDirectory, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  } catch (error) {
    const path = (error as { path?: string }).path ?? file;
    throw new StartFailure(
      `cannot keep the development signing secret in the data folder ${dataDirectory} (${path}): ${causeOf(error)}; make the folder writable, or set AUTH_JWT_SECRET`,
      { cause: error },
    );
  }
}
