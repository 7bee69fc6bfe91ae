import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, type Permission } from '../../src/auth/principal';
import { changeKey, generateKey, snapshotTables } from '../support/api-key-operations';
import { sseSubscription, until } from '../support/sse-subscription';
import { startTestServer, type TestServer } from '../support/test-server';

// Every operation × every kind of principal, allowed and denied.

type Outcome = 'allowed' | 'forbidden' | 'not-found';

interface Operation {
  name: string;
  needs: Permission[];
  /** Whether the operation names a key by id (then a principal who cannot see the project gets NotFound). */
  byKeyId: boolean;
  run(server: TestServer, token: string): Promise<Outcome>;
}

const PROJECT = 'proj_a';
const OTHER = 'proj_b';

function errorOutcome(body: { errors?: { extensions?: { code?: string } }[] }): Outcome | null {
  const code = body.errors?.[0]?.extensions?.code;
  if (code === 'FORBIDDEN') return 'forbidden';
  if (code === 'NOT_FOUND') return 'not-found';
  if (body.errors) throw new Error(`unexpected errors: ${JSON.stringify(body.errors)}`);
  return null;
}

/** Runs a key mutation on a fresh key of PROJECT, so every principal meets the same state. */
function keyMutation(mutation: 'deactivateApiKey' | 'reactivateApiKey' | 'deleteApiKey' | 'rollApiKey'): Operation {
  return {
    name: mutation,
    needs: ['keys:write'],
    byKeyId: true,
    async run(server, token) {
      const { apiKey } = await generateKey(server, { projectId: PROJECT });
      if (mutation === 'reactivateApiKey') await changeKey(server, 'deactivateApiKey', apiKey.id);
      const typeName = mutation[0]!.toUpperCase() + mutation.slice(1);
      const input = mutation === 'rollApiKey' ? '{ id: $id, gracePeriodSeconds: 0 }' : '{ id: $id }';
      const body = await server.gql(`mutation ($id: ID!) { r: ${mutation}(input: ${input}) { __typename ... on Error { code } } }`, { id: apiKey.id }, { token });
      if (body.data?.r?.__typename === 'NotFoundError') return 'not-found';
      return errorOutcome(body) ?? (body.data.r.__typename === `${typeName}Payload` ? 'allowed' : 'forbidden');
    },
  };
}

/** Opens the live feed of PROJECT over SSE; allowed only if an event made afterwards arrives. */
async function subscribeToFeed(server: TestServer, token: string): Promise<Outcome> {
  const feed = sseSubscription(server.url, token, `subscription { auditEvents(projectId: "${PROJECT}") { type } }`, {});
  const first = feed.take(1, 5000);
  await Promise.race([until(() => server.feedSubscribers > 0, 3000).catch(() => undefined), first]);
  if (server.feedSubscribers > 0) await generateKey(server, { projectId: PROJECT, name: 'for the feed' });
  const [result] = await first;
  await feed.close();
  await until(() => server.feedSubscribers === 0);
  if (result?.errors) return errorOutcome(result as unknown as { errors: { extensions?: { code?: string } }[] })!;
  return (result?.data as any)?.auditEvents?.type === 'KeyGenerated' ? 'allowed' : 'forbidden';
}

describe('permissions, per operation and principal', () => {
  let server: TestServer;
  let keyId: string;
  let auditEventId: string;
  let secret: string;

  beforeAll(async () => {
    server = await startTestServer();
    const generated = await generateKey(server, { projectId: PROJECT, name: 'shared' });
    keyId = generated.apiKey.id;
    secret = generated.secret;
    await generateKey(server, { projectId: OTHER, name: 'other project' });
    const history = await server.gql(`query ($id: ID!) { apiKey(id: $id) { auditHistory { edges { node { id } } } } }`, { id: keyId });
    auditEventId = history.data.apiKey.auditHistory.edges[0].node.id;
  });
  afterAll(() => server.close());

  const operations: Operation[] = [
    {
      name: 'project.apiKeys',
      needs: ['keys:read'],
      byKeyId: false,
      async run(server, token) {
        const body = await server.gql(`{ project(id: "${PROJECT}") { apiKeys { edges { node { id } } } } }`, {}, { token });
        return errorOutcome(body) ?? (body.data.project.apiKeys.edges.length > 0 ? 'allowed' : 'forbidden');
      },
    },
    {
      name: 'project.auditLog',
      needs: ['audit:read'],
      byKeyId: false,
      async run(server, token) {
        const body = await server.gql(`{ project(id: "${PROJECT}") { auditLog { edges { node { type } } } } }`, {}, { token });
        return errorOutcome(body) ?? (body.data.project.auditLog.edges.length > 0 ? 'allowed' : 'forbidden');
      },
    },
    {
      name: 'apiKey(id)',
      needs: ['keys:read'],
      byKeyId: true,
      async run(server, token) {
        const body = await server.gql(`query ($id: ID!) { apiKey(id: $id) { name } }`, { id: keyId }, { token });
        return errorOutcome(body) ?? (body.data.apiKey.name === 'shared' ? 'allowed' : 'forbidden');
      },
    },
    {
      name: 'apiKey(id).auditHistory',
      needs: ['keys:read', 'audit:read'],
      byKeyId: true,
      async run(server, token) {
        const body = await server.gql(`query ($id: ID!) { apiKey(id: $id) { auditHistory { edges { node { type } } } } }`, { id: keyId }, { token });
        return errorOutcome(body) ?? 'allowed';
      },
    },
    {
      name: 'node(ApiKey id)',
      needs: ['keys:read'],
      byKeyId: true,
      async run(server, token) {
        const body = await server.gql(`query ($id: ID!) { node(id: $id) { id } }`, { id: keyId }, { token });
        return errorOutcome(body) ?? (body.data.node?.id === keyId ? 'allowed' : 'not-found');
      },
    },
    {
      name: 'node(AuditEvent id)',
      needs: ['audit:read'],
      byKeyId: true,
      async run(server, token) {
        const body = await server.gql(`query ($id: ID!) { node(id: $id) { id } }`, { id: auditEventId }, { token });
        return errorOutcome(body) ?? (body.data.node?.id === auditEventId ? 'allowed' : 'not-found');
      },
    },
    {
      name: 'generateApiKey',
      needs: ['keys:write'],
      byKeyId: false,
      async run(server, token) {
        const body = await server.gql(`mutation { generateApiKey(input: { projectId: "${PROJECT}", name: "n", environment: "live" }) { __typename } }`, {}, { token });
        return errorOutcome(body) ?? 'allowed';
      },
    },
    keyMutation('deactivateApiKey'),
    keyMutation('reactivateApiKey'),
    keyMutation('deleteApiKey'),
    keyMutation('rollApiKey'),
    {
      name: 'apiKey(id, asOf)',
      needs: ['keys:read'],
      byKeyId: true,
      async run(server, token) {
        const body = await server.gql(`query ($id: ID!, $asOf: DateTime) { apiKey(id: $id, asOf: $asOf) { name } }`, { id: keyId, asOf: new Date().toISOString() }, { token });
        return errorOutcome(body) ?? (body.data.apiKey.name === 'shared' ? 'allowed' : 'forbidden');
      },
    },
    {
      name: 'project.apiKeys(asOf)',
      needs: ['keys:read'],
      byKeyId: false,
      async run(server, token) {
        const body = await server.gql(
          `query ($asOf: DateTime) { project(id: "${PROJECT}") { apiKeys(asOf: $asOf) { edges { node { id } } } } }`,
          { asOf: new Date().toISOString() },
          { token },
        );
        return errorOutcome(body) ?? (body.data.project.apiKeys.edges.length > 0 ? 'allowed' : 'forbidden');
      },
    },
    {
      name: 'project.idleKeys',
      needs: ['keys:read'],
      byKeyId: false,
      async run(server, token) {
        const body = await server.gql(`{ project(id: "${PROJECT}") { idleKeys(days: 1) { edges { node { id } } } } }`, {}, { token });
        return errorOutcome(body) ?? 'allowed';
      },
    },
    {
      name: 'auditIntegrity',
      needs: ['operator'],
      byKeyId: false,
      async run(server, token) {
        const body = await server.gql(`{ auditIntegrity { ok } }`, {}, { token });
        return errorOutcome(body) ?? (body.data.auditIntegrity.ok === true ? 'allowed' : 'forbidden');
      },
    },
    { name: 'subscription auditEvents', needs: ['audit:read'], byKeyId: false, run: subscribeToFeed },
    {
      name: 'verifyApiKey',
      needs: ['keys:verify'],
      byKeyId: false,
      async run(server, token) {
        const body = await server.gql(`mutation ($s: String!) { verifyApiKey(input: { secret: $s }) { code } }`, { s: secret }, { token });
        const outcome = errorOutcome(body);
        if (outcome) return outcome;
        return body.data.verifyApiKey.code === 'VALID' ? 'allowed' : 'not-found';
      },
    },
  ];

  const principals: { name: string; perms: Record<string, Permission[]> }[] = [
    ...PERMISSIONS.map((permission) => ({ name: `only ${permission} on ${PROJECT}`, perms: { [PROJECT]: [permission] } })),
    { name: `keys:read + audit:read on ${PROJECT}`, perms: { [PROJECT]: ['keys:read', 'audit:read'] } },
    { name: `everything on ${PROJECT}`, perms: { [PROJECT]: [...PERMISSIONS] } },
    { name: `everything on ${OTHER} only`, perms: { [OTHER]: [...PERMISSIONS] } },
    { name: 'everything on "*"', perms: { '*': [...PERMISSIONS] } },
    { name: 'keys:verify on "*" (a gateway)', perms: { '*': ['keys:verify'] } },
    { name: 'operator on "*" only', perms: { '*': ['operator'] } },
    { name: 'audit:read on "*" (no operator)', perms: { '*': ['audit:read'] } },
    { name: 'no permissions at all', perms: {} },
  ];

  /** What a principal should get: allowed with every needed permission; else NotFound where it cannot see the project. */
  function expected(operation: Operation, perms: Record<string, Permission[]>): Outcome {
    // The chain spans every tenant's events: only an operator (on "*") may check it.
    if (operation.name === 'auditIntegrity') return perms['*']?.includes('operator') ? 'allowed' : 'forbidden';
    const held = new Set([...(perms[PROJECT] ?? []), ...(perms['*'] ?? [])]);
    if (operation.needs.every((permission) => held.has(permission))) return 'allowed';
    if (operation.name === 'verifyApiKey') {
      return Object.values(perms).some((granted) => granted.includes('keys:verify')) ? 'not-found' : 'forbidden';
    }
    const canSee = ['keys:read', 'keys:write', 'audit:read'].some((permission) => held.has(permission as Permission));
    if (operation.name.startsWith('node(')) return 'not-found';
    return operation.byKeyId && !canSee ? 'not-found' : 'forbidden';
  }

  for (const principal of principals) {
    it(`${principal.name}: each operation allowed or denied as its permissions say`, async () => {
      const token = await server.tokenFor(`user-${principal.name}`, principal.perms);
      const outcomes: Record<string, Outcome> = {};
      const wanted: Record<string, Outcome> = {};
      for (const operation of operations) {
        outcomes[operation.name] = await operation.run(server, token);
        wanted[operation.name] = expected(operation, principal.perms);
      }
      expect(outcomes).toEqual(wanted);
    });
  }

  it('a denied mutation writes nothing', async () => {
    const { apiKey } = await generateKey(server, { projectId: PROJECT });
    const readOnly = await server.tokenFor('reader', { [PROJECT]: ['keys:read', 'audit:read'] });
    const stranger = await server.tokenFor('stranger', { [OTHER]: [...PERMISSIONS] });
    const before = await snapshotTables(server);
    for (const token of [readOnly, stranger]) {
      await server.gql(`mutation { generateApiKey(input: { projectId: "${PROJECT}", name: "x", environment: "live" }) { __typename } }`, {}, { token });
      for (const mutation of ['deactivateApiKey', 'deleteApiKey'] as const) {
        await server.gql(`mutation ($id: ID!) { ${mutation}(input: { id: $id }) { __typename } }`, { id: apiKey.id }, { token });
      }
      await server.gql(`mutation ($id: ID!) { rollApiKey(input: { id: $id, gracePeriodSeconds: 0 }) { __typename } }`, { id: apiKey.id }, { token });
    }
    await server.gql(`mutation ($s: String!) { verifyApiKey(input: { secret: $s }) { code } }`, { s: secret }, { token: stranger });
    expect(await snapshotTables(server)).toEqual(before);
  });

  it('a foreign key and a missing key are indistinguishable to a principal of another project', async () => {
    const stranger = await server.tokenFor('stranger', { [OTHER]: [...PERMISSIONS] });
    const missing = Buffer.from('ApiKey:00000000-0000-0000-0000-000000000000').toString('base64');
    const ask = async (id: string) => {
      const query = await server.gql(`query ($id: ID!) { apiKey(id: $id) { id } node(id: $id) { id } }`, { id }, { token: stranger });
      const mutation = await server.gql(`mutation ($id: ID!) { deactivateApiKey(input: { id: $id }) { __typename ... on Error { message code } } }`, { id }, { token: stranger });
      const roll = await server.gql(
        `mutation ($id: ID!) { rollApiKey(input: { id: $id, gracePeriodSeconds: 0 }) { __typename ... on Error { message code } } }`,
        { id },
        { token: stranger },
      );
      const past = await server.gql(`query ($id: ID!) { apiKey(id: $id, asOf: "2026-01-01T00:00:00Z") { id } }`, { id }, { token: stranger });
      return JSON.stringify([query, mutation, roll, past]).replaceAll(id, '<id>');
    };
    expect(await ask(keyId)).toBe(await ask(missing));
  });
});
