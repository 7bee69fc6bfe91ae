import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticate';
import { signToken } from '../../src/auth/sign-token';
import { createMonotonicClock } from '../../src/domain/monotonic-clock';
import { type SpawnedServer, spawnServer } from '../support/spawned-server';

// Rolling the HS256 signing secret without downtime: the new secret signs, the old
// one is listed in AUTH_JWT_PREVIOUS_SECRETS and still verifies the tokens already
// out, until it is removed (a restart) and they get 401 like any other bad token.

const execFileAsync = promisify(execFile);
const OLD = 'old-signing-secret-0123456789abcdef0123456789';
const NEW = 'new-signing-secret-fedcba9876543210fedcba9876';
const OTHER = 'some-other-secret-that-was-never-configured-xx';
const QUERY = '{ project(id: "demo") { apiKeys(first: 1) { edges { node { id } } } } }';

async function ask(server: SpawnedServer, token: string) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
}

/** The fast path answers a token it verified before from its cache: both paths must agree. */
async function verifyKey(server: SpawnedServer, token: string) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation { verifyApiKey(input: {secret: "sk_live_not_a_key"}) { code } }' }),
  });
  return response.status;
}

const accepted = { status: 200, body: { data: { project: { apiKeys: { edges: [] } } } } };
const refused = { status: 401, body: { errors: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })] } };

describe('rolling AUTH_JWT_SECRET', () => {
  let dir: string;
  let oldToken: string;
  let newToken: string;
  let otherToken: string;
  const tokenFor = (secret: string) => signToken(secret, { sub: 'alice', perms: { demo: ['keys:read', 'keys:verify'] }, expiresIn: 600 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apikeys-rotation-'));
    [oldToken, newToken, otherToken] = await Promise.all([tokenFor(OLD), tokenFor(NEW), tokenFor(OTHER)]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts tokens signed with a previous secret while it is listed, and refuses them (401) once it is removed', async () => {
    const databaseUrl = join(dir, 'apikeys.db');
    const before = await spawnServer(databaseUrl, { AUTH_JWT_SECRET: OLD });
    try {
      expect(await ask(before, oldToken)).toMatchObject(accepted);
      expect(await ask(before, newToken)).toMatchObject(refused);
    } finally {
      await before.stop();
    }

    // Step 1: the new secret signs, the old one still verifies.
    const during = await spawnServer(databaseUrl, { AUTH_JWT_SECRET: NEW, AUTH_JWT_PREVIOUS_SECRETS: OLD });
    try {
      expect(await ask(during, oldToken)).toMatchObject(accepted);
      expect(await ask(during, oldToken)).toMatchObject(accepted); // from the cache
      expect(await verifyKey(during, oldToken)).toBe(200);
      expect(await ask(during, newToken)).toMatchObject(accepted);
      expect(await ask(during, otherToken)).toMatchObject(refused);
    } finally {
      await during.stop();
    }

    // Step 2: the old secret removed; tokens it signed are refused like any forged one.
    const after = await spawnServer(databaseUrl, { AUTH_JWT_SECRET: NEW });
    try {
      expect(await ask(after, newToken)).toMatchObject(accepted);
      expect(await ask(after, oldToken)).toMatchObject(refused);
      expect(await verifyKey(after, oldToken)).toBe(401);
    } finally {
      await after.stop();
    }
  });

  it('npm run token signs with the current secret, never a previous one', async () => {
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/token.ts', '--sub', 'ops', '--project', 'demo', '--perms', 'keys:read'], {
      env: { ...process.env, AUTH_JWT_SECRET: NEW, AUTH_JWT_PREVIOUS_SECRETS: OLD, DATABASE_URL: join(dir, 'cli.db') },
    });
    const token = stdout.trim();
    await expect(jwtVerify(token, new TextEncoder().encode(NEW))).resolves.toMatchObject({ payload: { sub: 'ops' } });
    await expect(jwtVerify(token, new TextEncoder().encode(OLD))).rejects.toThrow(/signature verification failed/);

    // And a server that has rolled on accepts it.
    const server = await spawnServer(join(dir, 'apikeys.db'), { AUTH_JWT_SECRET: NEW });
    try {
      expect(await ask(server, token)).toMatchObject(accepted);
    } finally {
      await server.stop();
    }
  });
});

describe('the verified-token cache', () => {
  it('never answers for a token past its exp (plus the 30 s skew jose allows), whichever secret signed it', async () => {
    let wall = Date.now();
    const authenticate = createAuthenticator(
      { jwtSecret: NEW, previousJwtSecrets: [OLD] },
      createMonotonicClock(() => wall),
    );
    const token = await signToken(OLD, { sub: 'a', perms: { demo: ['keys:read'] }, expiresIn: 60 });
    const header = `Bearer ${token}`;
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    await expect(authenticate(header)).resolves.toMatchObject({ subject: 'a' });
    wall = (exp + 30) * 1000 - 1;
    expect(authenticate.cached(header)).toMatchObject({ subject: 'a' });
    wall = (exp + 30) * 1000 + 1;
    expect(authenticate.cached(header)).toBeUndefined();
    await expect(authenticate(header)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('is per process: an authenticator built without the previous secret (a restart) refuses what another had cached', async () => {
    const token = `Bearer ${await signToken(OLD, { sub: 'a', perms: { demo: ['keys:read'] }, expiresIn: 600 })}`;
    const during = createAuthenticator({ jwtSecret: NEW, previousJwtSecrets: [OLD] });
    await expect(during(token)).resolves.toMatchObject({ subject: 'a' });
    expect(during.cached(token)).toBeDefined();
    const after = createAuthenticator({ jwtSecret: NEW });
    expect(after.cached(token)).toBeUndefined();
    await expect(after(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses an expired token signed with a previous secret without trying it as a forgery of the current one', async () => {
    let wall = Date.now();
    const authenticate = createAuthenticator(
      { jwtSecret: NEW, previousJwtSecrets: [OLD] },
      createMonotonicClock(() => wall),
    );
    const token = `Bearer ${await signToken(OLD, { sub: 'a', perms: { demo: ['keys:read'] }, expiresIn: 1 })}`;
    wall += 120_000;
    await expect(authenticate(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'The bearer token is invalid or expired' });
  });
});
