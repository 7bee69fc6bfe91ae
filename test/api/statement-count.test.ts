import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey, rollKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

const PAGE_WITH_HISTORY = `query ($project: String!, $first: Int!) {
  project(id: $project) {
    apiKeys(first: $first) {
      edges { node { id name auditHistory(first: 5) { edges { node { type actor key { name } } } } } }
    }
  }
}`;

describe('a page of keys with their history costs a constant number of SQL statements', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    // 100 keys with 6 events each, so every key has more history than the 5 asked for.
    for (let i = 0; i < 100; i++) {
      const { apiKey } = await generateKey(server, { projectId: 'proj_n1', name: `key ${i}` });
      for (const mutation of ['deactivateApiKey', 'reactivateApiKey', 'deactivateApiKey', 'reactivateApiKey', 'deactivateApiKey'] as const) {
        await changeKey(server, mutation, apiKey.id);
      }
    }
  });
  afterAll(() => server.close());

  async function statementsFor(first: number) {
    server.statements.length = 0;
    const body = await server.gql(PAGE_WITH_HISTORY, { project: 'proj_n1', first });
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return { body, statements: [...server.statements] };
  }

  it('reads 100 keys, each with its 5 latest events and their key, in the same few statements as 1 key', async () => {
    const one = await statementsFor(1);
    const hundred = await statementsFor(100);
    const keys = hundred.body.data.project.apiKeys.edges;
    expect(keys).toHaveLength(100);
    for (const { node } of keys) {
      expect(node.auditHistory.edges.map((edge: any) => edge.node.type)).toEqual(['KeyDeactivated', 'KeyReactivated', 'KeyDeactivated', 'KeyReactivated', 'KeyDeactivated']);
      expect(node.auditHistory.edges.every((edge: any) => edge.node.key.name === node.name)).toBe(true);
    }
    // The keys page and one windowed history query; AuditEvent.key is served from the page.
    expect(hundred.statements).toHaveLength(2);
    expect(one.statements).toHaveLength(hundred.statements.length);
  });

  it('follows rotation links and travels in time without a statement per key', async () => {
    const keys = (await statementsFor(100)).body.data.project.apiKeys.edges.map((edge: any) => edge.node.id);
    for (const id of keys.slice(0, 30)) {
      await changeKey(server, 'reactivateApiKey', id); // only an active key can be rolled
      expect((await rollKey(server, { id, gracePeriodSeconds: 3600 })).__typename).toBe('RollApiKeyPayload');
    }
    const links = async (first: number) => {
      server.statements.length = 0;
      const body = await server.gql(`{ project(id: "proj_n1") { apiKeys(first: ${first}) { edges { node { rotatedFrom { name } rotatedTo { name } } } } } }`);
      expect(body.errors).toBeUndefined();
      return server.statements.length;
    };
    const asOf = async (first: number) => {
      server.statements.length = 0;
      const body = await server.gql(`query ($asOf: DateTime) { project(id: "proj_n1") { apiKeys(first: ${first}, asOf: $asOf) { edges { node { name usageCount } } } } }`, {
        asOf: new Date().toISOString(),
      });
      expect(body.data.project.apiKeys.edges).toHaveLength(first);
      return server.statements.length;
    };
    // The page, then at most one batched lookup of linked keys not already on it.
    expect(await links(100)).toBeLessThanOrEqual(2);
    expect(await links(1)).toBeLessThanOrEqual(2);
    // Candidate keys and their lifecycle events (one statement each), then usage from the
    // usage log: the books' state (three index lookups at the end of the books stream: the
    // last closing and the two retention cut-offs) and one aggregate per resolution read
    // (here windows alone: no hour is closed yet; at most days, hours and windows: 8 in all).
    expect(await asOf(100)).toBe(6);
    expect(await asOf(1)).toBe(6);
  });

  it('reads 100 audit events with their keys in two statements', async () => {
    server.statements.length = 0;
    const body = await server.gql(`{ project(id: "proj_n1") { auditLog(first: 100) { edges { node { type key { name status } } } } } }`);
    expect(body.data.project.auditLog.edges).toHaveLength(100);
    expect(body.data.project.auditLog.edges.every((edge: any) => edge.node.key.name.startsWith('key '))).toBe(true);
    expect(server.statements).toHaveLength(2);
  });
});
