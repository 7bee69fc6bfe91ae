import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey, verify } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

const DAY = 86_400_000;

describe('idle keys: what an owner can deactivate', () => {
  let server: TestServer;
  let clock = Date.parse('2026-01-10T08:00:00.000Z');
  beforeAll(async () => {
    server = await startTestServer({ now: () => new Date(clock) });
  });
  afterAll(() => server.close());

  const idle = async (days: number, projectId = 'proj_idle') => {
    const body = await server.gql(`{ project(id: "${projectId}") { idleKeys(days: ${days}) { edges { node { name lastUsedAt } } } } }`);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data.project.idleKeys.edges.map((edge: any) => edge.node.name);
  };

  it('lists active keys unused for the given days, counting a never-used key from its creation', async () => {
    const used = await generateKey(server, { projectId: 'proj_idle', name: 'used' });
    await generateKey(server, { projectId: 'proj_idle', name: 'never used' });
    const off = await generateKey(server, { projectId: 'proj_idle', name: 'deactivated' });
    await changeKey(server, 'deactivateApiKey', off.apiKey.id);
    await generateKey(server, { projectId: 'proj_idle', name: 'expired', expiresAt: new Date(clock + DAY).toISOString() });
    await generateKey(server, { projectId: 'proj_other', name: 'elsewhere' });

    clock += 20 * DAY;
    expect(await verify(server, used.secret)).toMatchObject({ valid: true });
    await server.flushUsage();
    await generateKey(server, { projectId: 'proj_idle', name: 'new' });
    clock += 15 * DAY;

    // Inactive and expired keys already do not verify, so they are not "idle": there is nothing to deactivate.
    expect(await idle(30)).toEqual(['never used']);
    expect(await idle(14)).toEqual(['new', 'never used', 'used']);
    expect(await idle(36)).toEqual([]);
    // The same question through the list filter, which also shows the inactive key.
    const filtered = await server.gql(
      `{ project(id: "proj_idle") { apiKeys(filter: { unusedSince: "${new Date(clock - 30 * DAY).toISOString()}" }) { edges { node { name } } } } }`,
    );
    expect(filtered.data.project.apiKeys.edges.map((edge: any) => edge.node.name)).toEqual(['expired', 'deactivated', 'never used']);
  });

  it('refuses a number of days outside 1 to 3650', async () => {
    for (const days of [0, -5, 3651]) {
      const body = await server.gql(`{ project(id: "proj_idle") { idleKeys(days: ${days}) { edges { node { name } } } } }`);
      expect(body.errors?.[0]).toMatchObject({ message: 'days: days must be between 1 and 3650', extensions: { code: 'VALIDATION' } });
    }
  });
});
