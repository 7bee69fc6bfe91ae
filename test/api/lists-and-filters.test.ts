import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey, verify } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

describe('listing keys and the audit log', () => {
  let server: TestServer;
  let clock = Date.parse('2026-03-01T00:00:00Z');
  beforeAll(async () => {
    // A clock the test moves, so "unused since" and time ranges are exact.
    server = await startTestServer({ now: () => new Date(clock) });
  });
  afterAll(() => server.close());
  const tick = (ms = 1000) => (clock += ms);

  it('pages through 230 keys, newest first, 100 at a time, each key exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 230; i++) {
      tick();
      ids.push((await generateKey(server, { projectId: 'proj_many', name: `key ${i}` })).apiKey.id);
    }
    await generateKey(server, { projectId: 'proj_other' });
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const body: any = await server.gql(
        `query ($after: String) { project(id: "proj_many") { apiKeys(first: 100, after: $after) {
          edges { node { id } } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
      const connection = body.data.project.apiKeys;
      seen.push(...connection.edges.map((edge: any) => edge.node.id));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters keys by status, environment and unusedSince', async () => {
    const project = 'proj_filter';
    tick();
    const usedLive = await generateKey(server, { projectId: project, name: 'used live', environment: 'live' });
    await generateKey(server, { projectId: project, name: 'idle test', environment: 'test' });
    const inactive = await generateKey(server, { projectId: project, name: 'inactive', environment: 'live' });
    const deleted = await generateKey(server, { projectId: project, name: 'deleted', environment: 'live' });
    await changeKey(server, 'deactivateApiKey', inactive.apiKey.id);
    await changeKey(server, 'deleteApiKey', deleted.apiKey.id);
    const cutoff = new Date(tick(60_000)).toISOString();
    tick(60_000);
    await verify(server, usedLive.secret);
    await server.flushUsage();

    const names = async (filter: string) => {
      const body = await server.gql(`{ project(id: "${project}") { apiKeys(filter: ${filter}) { edges { node { name } } } } }`);
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data.project.apiKeys.edges.map((edge: any) => edge.node.name);
    };
    expect(await names('{}')).toEqual(['inactive', 'idle test', 'used live']);
    expect(await names('{ status: ACTIVE }')).toEqual(['idle test', 'used live']);
    expect(await names('{ status: INACTIVE }')).toEqual(['inactive']);
    expect(await names('{ status: DELETED }')).toEqual(['deleted']);
    expect(await names('{ environment: "test" }')).toEqual(['idle test']);
    expect(await names(`{ unusedSince: "${cutoff}" }`)).toEqual(['inactive', 'idle test']);
    expect(await names(`{ unusedSince: "${cutoff}", environment: "live", status: INACTIVE }`)).toEqual(['inactive']);
  });

  it('filters the audit log by type, key, actor and time, newest first', async () => {
    const alice = await startTestServer({ actor: 'alice', now: () => new Date(clock) });
    try {
      const project = 'proj_audit';
      const t0 = new Date(tick()).toISOString();
      const first = await generateKey(alice, { projectId: project, name: 'first' });
      tick();
      const second = await generateKey(alice, { projectId: project, name: 'second' });
      const t1 = new Date(tick()).toISOString();
      await changeKey(alice, 'deactivateApiKey', first.apiKey.id, 'audit me');
      await verify(alice, second.secret);
      await alice.flushUsage();

      const log = async (filter: string) => {
        const body = await alice.gql(`{ project(id: "${project}") { auditLog(filter: ${filter}) { edges { node { type key { name } actor } } } } }`);
        if (body.errors) throw new Error(JSON.stringify(body.errors));
        return body.data.project.auditLog.edges.map((edge: any) => `${edge.node.type}:${edge.node.key.name}`);
      };
      expect(await log('{}')).toEqual(['KeyDeactivated:first', 'KeyGenerated:second', 'KeyGenerated:first']);
      // second's verification is usage: never in the audit log, whatever the deprecated includeUsage says.
      expect(await log('{ includeUsage: true }')).toEqual(['KeyDeactivated:first', 'KeyGenerated:second', 'KeyGenerated:first']);
      expect(await log('{ types: [KeyGenerated] }')).toEqual(['KeyGenerated:second', 'KeyGenerated:first']);
      expect(await log('{ types: [KeyDeactivated, KeyUsed] }')).toEqual(['KeyDeactivated:first']);
      expect(await log('{ types: [KeyUsed], includeUsage: true }')).toEqual([]);
      expect(await log(`{ keyId: "${first.apiKey.id}" }`)).toEqual(['KeyDeactivated:first', 'KeyGenerated:first']);
      expect(await log(`{ from: "${t1}", includeUsage: true }`)).toEqual(['KeyDeactivated:first']);
      expect(await log(`{ from: "${t0}", to: "${t1}" }`)).toEqual(['KeyGenerated:second', 'KeyGenerated:first']);
      expect(await log('{ actor: "alice", includeUsage: true }')).toHaveLength(3);
      expect(await log('{ actor: "mallory" }')).toEqual([]);
      const foreign = await alice.gql(`{ project(id: "${project}") { auditLog(filter: { keyId: "nonsense" }) { edges { cursor } } } }`);
      expect(foreign.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    } finally {
      await alice.close();
    }
  });
});
