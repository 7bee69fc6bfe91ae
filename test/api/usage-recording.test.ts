import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/principal';
import { signToken } from '../../src/auth/sign-token';
import { startServer } from '../../src/server/create-server';
import { openDatabase } from '../../src/store/database';
import { changeKey, generateKey, verify } from '../support/api-key-operations';
import { createTestDatabase } from '../support/test-database';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/test-server';

describe('usage recording by group commit', () => {
  let server: TestServer;
  beforeAll(async () => {
    // A long window, so the test decides when usage is written.
    server = await startTestServer({ usageFlushMs: 60_000 });
  });
  afterAll(() => server.close());

  const usageEvents = (keyId: string) =>
    server.db.selectFrom('events').selectAll().where('stream_id', '=', `${keyId}:usage`).orderBy('stream_version').execute();
  const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString().slice('ApiKey:'.length);

  it('coalesces a window of verifications into one KeyUsed per key, with counts by outcome', async () => {
    const a = await generateKey(server, { projectId: 'proj_u' });
    const b = await generateKey(server, { projectId: 'proj_u' });
    for (let i = 0; i < 25; i++) await verify(server, a.secret);
    for (let i = 0; i < 5; i++) await verify(server, b.secret);
    await changeKey(server, 'deactivateApiKey', b.apiKey.id);
    for (let i = 0; i < 3; i++) await verify(server, b.secret);
    expect(await usageEvents(rawId(a.apiKey.id))).toHaveLength(0); // nothing written before the window closes

    await server.flushUsage();
    const [usedA] = await usageEvents(rawId(a.apiKey.id));
    const [usedB, ...moreB] = await usageEvents(rawId(b.apiKey.id));
    expect(moreB).toEqual([]);
    expect(JSON.parse(usedA!.data)).toMatchObject({ count: 25, outcomes: { VALID: 25 }, lastRejectedAt: null });
    expect(JSON.parse(usedB!.data)).toMatchObject({ count: 8, outcomes: { VALID: 5, INACTIVE: 3 }, lastRejectedCode: 'INACTIVE' });

    const keys = await server.gql(`{ project(id: "proj_u") { apiKeys(filter: {}) { edges { node { id usageCount lastUsedAt lastRejectedCode } } } } }`);
    const byId = Object.fromEntries(keys.data.project.apiKeys.edges.map((edge: any) => [edge.node.id, edge.node]));
    expect(byId[a.apiKey.id]).toMatchObject({ usageCount: 25, lastRejectedCode: null });
    expect(byId[b.apiKey.id]).toMatchObject({ usageCount: 8, lastRejectedCode: 'INACTIVE' });
    expect(byId[a.apiKey.id].lastUsedAt).not.toBeNull();
  });

  it('never makes a lifecycle change conflict, nor the reverse, however they race', async () => {
    const { apiKey, secret } = await generateKey(server, { projectId: 'proj_race' });
    let verifications = 0;
    for (let round = 0; round < 40; round++) {
      const mutation = round % 2 === 0 ? 'deactivateApiKey' : 'reactivateApiKey';
      const [change] = await Promise.all([
        changeKey(server, mutation, apiKey.id),
        ...Array.from({ length: 5 }, async () => {
          await verify(server, secret);
          verifications++;
        }),
        server.flushUsage(),
      ]);
      expect(change.__typename).toBe(`${mutation[0]!.toUpperCase()}${mutation.slice(1)}Payload`);
    }
    await server.flushUsage();
    const key = await server.gql(`query ($id: ID!) { apiKey(id: $id) { usageCount version status } }`, { id: apiKey.id });
    expect(key.data.apiKey).toEqual({ usageCount: verifications, version: 41, status: 'ACTIVE' });
    const lifecycle = await server.db.selectFrom('events').select('stream_version').where('stream_id', '=', rawId(apiKey.id)).orderBy('stream_version').execute();
    expect(lifecycle.map((row) => row.stream_version)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
  });

  it('writes buffered usage when the server stops gracefully', async () => {
    const database = await createTestDatabase();
    try {
      const other = await startServer({ port: 0, databaseUrl: database.url, auth: { jwtSecret: TEST_JWT_SECRET }, usageFlushMs: 60_000 });
      const token = await signToken(TEST_JWT_SECRET, { sub: 'stopper', perms: { '*': [...PERMISSIONS] }, expiresIn: 60 });
      const post = (query: string) =>
        fetch(`${other.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        }).then((response) => response.json());
      const generated = await post('mutation { generateApiKey(input: {projectId: "p", name: "n", environment: "live"}) { ... on GenerateApiKeyPayload { secret } } }');
      for (let i = 0; i < 4; i++) await post(`mutation { verifyApiKey(input: {secret: "${generated.data.generateApiKey.secret}"}) { code } }`);
      await other.close(); // the window is still open: close() must write it

      const reopened = await openDatabase(database.url);
      const row = await reopened.selectFrom('api_keys').select(['usage_count', 'last_used_at']).executeTakeFirstOrThrow();
      await reopened.destroy();
      expect(row.usage_count).toBe(4);
      expect(row.last_used_at).not.toBeNull();
    } finally {
      await database.cleanup();
    }
  });
});
