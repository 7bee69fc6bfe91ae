import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// Dashboard queries and verifications share nothing that one can exhaust for the
// other: with every connection of the main pool busy, a gateway's cache miss is
// still read at once, from verification's own pool.

describe('verification reads beside a busy pool', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('verifies an uncached key at once while every main-pool connection is held by slow queries', async () => {
    const { secret } = await generateKey(server, { projectId: 'proj_pool' });
    const other = await server.tokenFor('gateway', { '*': ['keys:verify'] });
    // Ten slow statements: the main pool's every connection, for 3 s.
    const hogs = Array.from({ length: 10 }, () => sql`select pg_sleep(3)`.execute(server.db));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    // The key was never verified: this is a cache miss, which must read the database.
    const body = await server.gql(`mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code } }`, { s: secret }, { token: other });
    const took = performance.now() - started;
    await Promise.all(hogs);
    expect(body.data?.verifyApiKey.code).toBe('VALID');
    expect(took).toBeLessThan(1000);
  });
});
