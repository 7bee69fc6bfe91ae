import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey, KEY_FIELDS, verify } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

describe('a key’s whole life over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ actor: 'alice' });
  });
  afterAll(() => server.close());

  it('generates, lists, verifies, deactivates, reactivates and deletes a key, and the audit log tells it all', async () => {
    const before = Date.now();
    const { secret, apiKey } = await generateKey(server, { projectId: 'proj_life', name: '  Production backend ', environment: 'live' });
    expect(secret).toMatch(/^ak_live_/);
    expect(apiKey).toMatchObject({
      projectId: 'proj_life',
      name: 'Production backend',
      environment: 'live',
      status: 'ACTIVE',
      createdBy: 'alice',
      lastUsedAt: null,
      usageCount: 0,
      maskedKey: `ak_live_${secret.slice(8, 12)}…${secret.slice(-4)}`,
      version: 1,
    });
    expect(Date.parse(apiKey.createdAt)).toBeGreaterThanOrEqual(before - 1000);

    const list = await server.gql(`{ project(id: "proj_life") { apiKeys { edges { node { id name maskedKey status } } } } }`);
    expect(list.data.project.apiKeys.edges).toEqual([{ node: { id: apiKey.id, name: 'Production backend', maskedKey: apiKey.maskedKey, status: 'ACTIVE' } }]);
    expect(JSON.stringify(list)).not.toContain(secret);

    expect(await verify(server, secret)).toEqual({
      valid: true,
      code: 'VALID',
      key: { id: apiKey.id, projectId: 'proj_life', name: 'Production backend', environment: 'live', expiresAt: null },
    });
    await server.flushUsage(); // usage is written once per window; close this one now
    const afterUse = await server.gql(`query ($id: ID!) { apiKey(id: $id) { lastUsedAt usageCount } }`, { id: apiKey.id });
    expect(afterUse.data.apiKey.usageCount).toBe(1);
    expect(Date.parse(afterUse.data.apiKey.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(apiKey.createdAt));

    const deactivated = await changeKey(server, 'deactivateApiKey', apiKey.id, 'suspected leak');
    expect(deactivated.apiKey).toMatchObject({ status: 'INACTIVE', statusReason: 'suspected leak', statusChangedBy: 'alice', version: 2 });
    expect(deactivated.apiKey.deactivatedAt).not.toBeNull();
    expect(await verify(server, secret)).toMatchObject({ valid: false, code: 'INACTIVE', key: { id: apiKey.id } });
    await server.flushUsage();
    const refused = await server.gql(`query ($id: ID!) { apiKey(id: $id) { lastRejectedAt lastRejectedCode usageCount } }`, { id: apiKey.id });
    expect(refused.data.apiKey).toMatchObject({ lastRejectedCode: 'INACTIVE', usageCount: 2 });

    const reactivated = await changeKey(server, 'reactivateApiKey', apiKey.id);
    expect(reactivated.apiKey).toMatchObject({ status: 'ACTIVE', statusReason: null, deactivatedAt: null, version: 3 });
    expect(await verify(server, secret)).toMatchObject({ valid: true, code: 'VALID' });
    await server.flushUsage();

    const deleted = await changeKey(server, 'deleteApiKey', apiKey.id, 'no longer needed');
    expect(deleted.apiKey).toMatchObject({ status: 'DELETED', statusReason: 'no longer needed', version: 4 });
    expect(await verify(server, secret)).toMatchObject({ valid: false, code: 'DELETED' });
    await server.flushUsage(); // a deleted key still being called is recorded too

    // Gone from the project's keys, still answerable by id and in the audit log.
    const afterDelete = await server.gql(`{ project(id: "proj_life") { apiKeys { edges { node { id } } } } }`);
    expect(afterDelete.data.project.apiKeys.edges).toEqual([]);
    const deletedList = await server.gql(`{ project(id: "proj_life") { apiKeys(filter: { status: DELETED }) { edges { node { id status } } } } }`);
    expect(deletedList.data.project.apiKeys.edges).toEqual([{ node: { id: apiKey.id, status: 'DELETED' } }]);

    const lifecycleOnly = await server.gql(`{ project(id: "proj_life") { auditLog { edges { node { type } } } } }`);
    expect(lifecycleOnly.data.project.auditLog.edges.map((edge: any) => edge.node.type)).toEqual(['KeyDeleted', 'KeyReactivated', 'KeyDeactivated', 'KeyGenerated']);
    // Usage is counted on the key (above), never in the audit log: the deprecated includeUsage changes nothing.
    const audit = await server.gql(`{ project(id: "proj_life") { auditLog(first: 100, filter: { includeUsage: true }) { edges { node {
      type actor reason keyId requestId occurredAt changes { field from to } key { id status }
      usage { count valid inactive deleted firstAt lastAt } } } } } }`);
    const events = audit.data.project.auditLog.edges.map((edge: any) => edge.node).reverse();
    expect(events.map((e: any) => e.type)).toEqual(['KeyGenerated', 'KeyDeactivated', 'KeyReactivated', 'KeyDeleted']);
    expect(new Set(events.map((e: any) => e.actor))).toEqual(new Set(['alice']));
    expect(events.every((e: any) => e.keyId === apiKey.id && e.key.status === 'DELETED' && e.usage === null)).toBe(true);
    expect(events[1]).toMatchObject({ reason: 'suspected leak', changes: [{ field: 'status', from: 'ACTIVE', to: 'INACTIVE' }] });
    expect(events[2]).toMatchObject({ reason: null, changes: [{ field: 'status', from: 'INACTIVE', to: 'ACTIVE' }] });
    expect(events[3]).toMatchObject({ reason: 'no longer needed', changes: [{ field: 'status', from: 'ACTIVE', to: 'DELETED' }] });
    expect(events[0].changes).toEqual([
      { field: 'status', from: null, to: 'ACTIVE' },
      { field: 'name', from: null, to: 'Production backend' },
      { field: 'environment', from: null, to: 'live' },
    ]);
  });

  it('answers a deleted key with no further change: every command is an InvalidStateError', async () => {
    const { apiKey } = await generateKey(server);
    await changeKey(server, 'deleteApiKey', apiKey.id);
    for (const mutation of ['deactivateApiKey', 'reactivateApiKey', 'deleteApiKey'] as const) {
      expect(await changeKey(server, mutation, apiKey.id)).toMatchObject({
        __typename: 'InvalidStateError',
        code: 'INVALID_STATE',
        currentStatus: 'DELETED',
      });
    }
  });

  it('refuses to deactivate twice or reactivate an active key, saying why', async () => {
    const { apiKey } = await generateKey(server);
    expect(await changeKey(server, 'reactivateApiKey', apiKey.id)).toMatchObject({ __typename: 'InvalidStateError', currentStatus: 'ACTIVE' });
    await changeKey(server, 'deactivateApiKey', apiKey.id);
    expect(await changeKey(server, 'deactivateApiKey', apiKey.id)).toMatchObject({
      __typename: 'InvalidStateError',
      currentStatus: 'INACTIVE',
      message: expect.stringContaining('Only an active key can be deactivated'),
    });
  });

  it('reads a key by id with its history, and through node(id) for keys, audit events and projects', async () => {
    const { apiKey } = await generateKey(server, { projectId: 'proj_node', name: 'node key' });
    await changeKey(server, 'deactivateApiKey', apiKey.id, 'one');
    await changeKey(server, 'reactivateApiKey', apiKey.id, 'two');

    const byId = await server.gql(
      `query ($id: ID!) { apiKey(id: $id) { ${KEY_FIELDS} auditHistory(first: 2) { edges { cursor node { id type reason } } pageInfo { hasNextPage endCursor } } } }`,
      { id: apiKey.id },
    );
    const history = byId.data.apiKey.auditHistory;
    expect(history.edges.map((e: any) => [e.node.type, e.node.reason])).toEqual([
      ['KeyReactivated', 'two'],
      ['KeyDeactivated', 'one'],
    ]);
    expect(history.pageInfo.hasNextPage).toBe(true);
    const rest = await server.gql(
      `query ($id: ID!, $after: String) { apiKey(id: $id) { auditHistory(first: 2, after: $after) { edges { node { type } } pageInfo { hasNextPage } } } }`,
      {
        id: apiKey.id,
        after: history.pageInfo.endCursor,
      },
    );
    expect(rest.data.apiKey.auditHistory).toEqual({ edges: [{ node: { type: 'KeyGenerated' } }], pageInfo: { hasNextPage: false } });

    const auditEventId = history.edges[0].node.id;
    const nodes = await server.gql(
      `query ($key: ID!, $event: ID!, $project: ID!) {
        key: node(id: $key) { __typename id ... on ApiKey { name } }
        event: node(id: $event) { __typename ... on AuditEvent { type } }
        project: node(id: $project) { __typename ... on Project { projectId apiKeys { edges { node { id } } } } }
      }`,
      { key: apiKey.id, event: auditEventId, project: Buffer.from('Project:proj_node').toString('base64') },
    );
    expect(nodes.data).toEqual({
      key: { __typename: 'ApiKey', id: apiKey.id, name: 'node key' },
      event: { __typename: 'AuditEvent', type: 'KeyReactivated' },
      project: { __typename: 'Project', projectId: 'proj_node', apiKeys: { edges: [{ node: { id: apiKey.id } }] } },
    });
  });

  it('answers the request id in a header and records it with the events it caused', async () => {
    const response = await server.post(
      { query: `mutation { generateApiKey(input: { projectId: "proj_rid", name: "traced", environment: "test" }) { __typename } }` },
      { headers: { 'x-request-id': 'trace-1234' } },
    );
    expect(response.headers.get('x-request-id')).toBe('trace-1234');
    const audit = await server.gql(`{ project(id: "proj_rid") { auditLog { edges { node { requestId } } } } }`);
    expect(audit.data.project.auditLog.edges).toEqual([{ node: { requestId: 'trace-1234' } }]);
    const minted = await fetch(`${server.url}/health`);
    expect(minted.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('verifies a well-formed secret that is not ours as NOT_FOUND and garbage as MALFORMED, recording nothing', async () => {
    const { secret } = await generateKey(server, { projectId: 'proj_verify' });
    const eventsBefore = await server.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const forged = secret.slice(0, -7) + (secret.at(-7) === 'A' ? 'B' : 'A') + secret.slice(-6);
    expect(await verify(server, forged)).toEqual({ valid: false, code: 'MALFORMED', key: null });
    expect(await verify(server, 'not a key')).toEqual({ valid: false, code: 'MALFORMED', key: null });
    expect(await verify(server, 'x'.repeat(60_000))).toEqual({ valid: false, code: 'MALFORMED', key: null });
    // Well-formed with a valid checksum, but never issued.
    const { generateSecret } = await import('../../src/secrets/api-key-secret');
    expect(await verify(server, generateSecret('live').secret)).toEqual({ valid: false, code: 'NOT_FOUND', key: null });
    const eventsAfter = await server.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(eventsAfter.n).toBe(eventsBefore.n);
  });
});
