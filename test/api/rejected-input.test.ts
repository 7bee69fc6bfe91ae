import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey, snapshotTables } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

const GENERATE = `mutation ($input: GenerateApiKeyInput!) {
  generateApiKey(input: $input) {
    __typename
    ... on Error { message code }
    ... on ValidationError { issues { path message } }
  }
}`;

describe('rejected input gets a typed error and writes nothing', () => {
  let server: TestServer;
  let keyId: string;
  beforeAll(async () => {
    server = await startTestServer();
    keyId = (await generateKey(server)).apiKey.id;
  });
  afterAll(() => server.close());

  /** Runs a request and checks that no table changed. */
  async function unchanged<T>(request: () => Promise<T>): Promise<T> {
    const before = await snapshotTables(server);
    const result = await request();
    expect(await snapshotTables(server)).toEqual(before);
    return result;
  }

  it.each([
    ['an empty name', { name: '   ' }, 'input.name', 'must not be empty'],
    ['a name of 101 characters', { name: 'x'.repeat(101) }, 'input.name', 'at most 100'],
    ['a 10 kB name', { name: 'x'.repeat(10_000) }, 'input.name', 'at most 100'],
    ['a name with a control character', { name: 'bad\u0000name' }, 'input.name', 'control characters'],
    ['a name with a newline', { name: 'two\nlines' }, 'input.name', 'control characters'],
    ['an unknown environment shape', { environment: 'Prod' }, 'input.environment', 'lowercase'],
    ['an environment with an underscore', { environment: 'my_env' }, 'input.environment', 'lowercase'],
    ['a project id with spaces', { projectId: 'proj 1' }, 'input.projectId', 'projectId'],
    ['an empty project id', { projectId: '' }, 'input.projectId', 'projectId'],
  ])('generate with %s', async (_case, override, path, message) => {
    const body = await unchanged(() => server.gql(GENERATE, { input: { projectId: 'proj_1', name: 'ok', environment: 'live', ...override } }));
    expect(body.data.generateApiKey).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION' });
    expect(body.data.generateApiKey.issues).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it('keeps emoji, right-to-left text and SQL metacharacters in names exactly as sent', async () => {
    for (const name of ['🔑 deploy 👩🏽‍💻', 'مفتاح الإنتاج', "Robert'); DROP TABLE events;--", '100% "quoted" \\ key', 'x'.repeat(100)]) {
      const { apiKey } = await generateKey(server, { name });
      expect(apiKey.name).toBe(name);
    }
    // 100 code points, not 100 UTF-16 units: an emoji counts as one.
    expect((await generateKey(server, { name: '🔑'.repeat(100) })).apiKey.name).toBe('🔑'.repeat(100));
  });

  it.each([
    ['a malformed id', 'not-a-global-id', 'ValidationError'],
    ['an id of another type', Buffer.from('AuditEvent:1').toString('base64'), 'ValidationError'],
    ['an unknown key id', Buffer.from('ApiKey:00000000-0000-0000-0000-000000000000').toString('base64'), 'NotFoundError'],
  ])('every change to %s is rejected', async (_case, id, typename) => {
    for (const mutation of ['deactivateApiKey', 'reactivateApiKey', 'deleteApiKey'] as const) {
      const result = await unchanged(() => changeKey(server, mutation, id));
      expect(result.__typename).toBe(typename);
      expect(result.code).toBe(typename === 'NotFoundError' ? 'NOT_FOUND' : 'VALIDATION');
    }
  });

  it('rejects a reason over 500 characters or with control characters', async () => {
    for (const reason of ['r'.repeat(501), 'tab\there']) {
      const result = await unchanged(() => changeKey(server, 'deactivateApiKey', keyId, reason));
      expect(result).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'input.reason' }] });
    }
  });

  it('answers apiKey(id) for unknown and malformed ids with NOT_FOUND and VALIDATION errors', async () => {
    const unknown = await server.gql(`query ($id: ID!) { apiKey(id: $id) { id } }`, {
      id: Buffer.from('ApiKey:nope').toString('base64'),
    });
    expect(unknown.data.apiKey).toBeNull();
    expect(unknown.errors).toEqual([expect.objectContaining({ message: 'ApiKey not found', path: ['apiKey'], extensions: { code: 'NOT_FOUND' } })]);
    const malformed = await server.gql(`{ apiKey(id: "%%%") { id } }`);
    expect(malformed.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    const node = await server.gql(`query ($id: ID!) { node(id: $id) { id } }`, { id: Buffer.from('ApiKey:nope').toString('base64') });
    expect(node).toEqual({ data: { node: null } });
  });

  it('caps pages at 100 and rejects foreign cursors', async () => {
    for (const first of [0, -1, 101]) {
      const body = await server.gql(`query ($first: Int) { project(id: "proj_1") { apiKeys(first: $first) { edges { cursor } } } }`, { first });
      expect(body.errors?.[0]).toMatchObject({ message: expect.stringContaining('between 1 and 100'), extensions: { code: 'VALIDATION' } });
    }
    const auditCursor = (await server.gql(`{ project(id: "proj_1") { auditLog(first: 1) { pageInfo { endCursor } } } }`)).data.project.auditLog.pageInfo.endCursor;
    for (const after of [auditCursor, 'garbage']) {
      const body = await server.gql(`query ($after: String) { project(id: "proj_1") { apiKeys(after: $after) { edges { cursor } } } }`, { after });
      expect(body.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    }
  });

  it('answers GraphQL syntax, unknown fields and wrong types with errors that carry no stack or SQL', async () => {
    const bodies = [
      await server.gql(`{ project(id: "proj_1") { apiKeys { edges { node { secret } } } } }`),
      await server.gql(`{ project(id: 1) { projectId } }`),
      await server.gql(`mutation { generateApiKey(input: { name: "x" }) { __typename } }`),
      await server.gql(`{ project(`),
    ];
    for (const body of bodies) {
      expect(body.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|stack|select |insert into|sqlite/i);
    }
    const invalidProject = await server.gql(`{ project(id: "has spaces") { projectId } }`);
    expect(invalidProject.errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });
});
