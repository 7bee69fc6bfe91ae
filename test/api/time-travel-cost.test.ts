import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkHistory } from '../support/bulk-history';
import { startTestServer, type TestServer } from '../support/test-server';

// Time travel rebuilds keys from the log. A request may ask for at most 100 of
// them, and the fold runs in short slices through one queue, so a tenant looping
// its heaviest history queries cannot freeze the server for everyone else.

const PROJECT = 'proj_history';
const KEYS = 3000;

describe('time travel: priced before execution, sliced while it runs', () => {
  let server: TestServer;
  let tenant: string;
  let gateway: string;
  let secrets: string[];
  let asOf: string;

  beforeAll(async () => {
    server = await startTestServer();
    // Every 60th key inactive: a filter on INACTIVE must rebuild every key to fill a page.
    ({ secrets } = await bulkHistory(server.db, { projectId: PROJECT, keys: KEYS, deactivateEvery: 60, usagePerKey: 1 }));
    tenant = await server.tokenFor('tenant', { [PROJECT]: ['keys:read', 'audit:read'] });
    gateway = await server.tokenFor('gateway', { '*': ['keys:verify'] });
    asOf = new Date().toISOString();
  }, 120_000);
  afterAll(() => server.close());

  const list = (alias: string, first: number | string) => `${alias}: apiKeys(first: ${first}, asOf: $asOf, filter: {status: INACTIVE}) { edges { node { id status } } }`;

  it('refuses 20 aliased asOf lists of 100 before running anything (QUERY_TOO_COSTLY, HTTP 400)', async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => list(`l${i}`, 100)).join(' ');
    server.statements.length = 0;
    const response = await server.post({ query: `query ($asOf: DateTime) { project(id: "${PROJECT}") { ${aliases} } }`, variables: { asOf } }, { token: tenant });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.data).toBeUndefined();
    expect(body.errors[0].extensions.code).toBe('QUERY_TOO_COSTLY');
    expect(body.errors[0].message).toContain('2000 keys');
    expect(server.statements.filter((statement) => /"events"/.test(statement))).toEqual([]);
  });

  it('answers one asOf list of 100, and counts variables, defaults, single keys and nodes(ids)', async () => {
    const one = await server.gql(`query ($asOf: DateTime) { project(id: "${PROJECT}") { ${list('only', 100)} } }`, { asOf }, { token: tenant });
    expect(one.errors).toBeUndefined();
    expect(one.data.project.only.edges).toHaveLength(KEYS / 60);
    expect(one.data.project.only.edges.every((edge: any) => edge.node.status === 'INACTIVE')).toBe(true);

    const byVariable = (first: number) =>
      server.gql(`query ($asOf: DateTime, $n: Int) { project(id: "${PROJECT}") { ${list('a', '$n')} ${list('b', '$n')} } }`, { asOf, n: first }, { token: tenant });
    expect((await byVariable(50)).errors).toBeUndefined();
    expect((await byVariable(51)).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');

    // A variable left out counts its default; `first` left out counts 20.
    const withDefault = await server.gql(
      `query ($asOf: DateTime, $n: Int = 100) { project(id: "${PROJECT}") { ${list('a', '$n')} b: apiKeys(asOf: $asOf) { edges { node { id } } } } }`,
      { asOf },
      { token: tenant },
    );
    expect(withDefault.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    expect(withDefault.errors?.[0]?.message).toContain('120 keys');

    // Without asOf (or with asOf null) a list reads the key table and costs nothing here.
    const present = await server.gql(
      `query ($asOf: DateTime) { project(id: "${PROJECT}") { ${Array.from({ length: 5 }, (_, i) => list(`l${i}`, 100)).join(' ')} } }`,
      { asOf: null },
      { token: tenant },
    );
    expect(present.errors).toBeUndefined();

    // nodes(ids) multiplies what each node asks for.
    const projectId = Buffer.from(`Project:${PROJECT}`).toString('base64');
    const viaNodes = await server.gql(
      `query ($asOf: DateTime, $ids: [ID!]!) { nodes(ids: $ids) { ... on Project { ${list('a', 40)} } } }`,
      { asOf, ids: [projectId, projectId, projectId] },
      { token: tenant },
    );
    expect(viaNodes.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');

    // A variable named like an Object.prototype member is just a variable, default included.
    for (const name of ['constructor', 'toString', '__proto__']) {
      const named = await server.gql(
        `query ($asOf: DateTime, $${name}: Int = 100) { project(id: "${PROJECT}") { ${list('a', `$${name}`)} ${list('b', `$${name}`)} } }`,
        { asOf },
        { token: tenant },
      );
      expect(named.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    }

    // The rotation links of keys seen asOf are folded from the log too: each counts one key per key.
    const links = (depth: number) => 'rotatedFrom { id '.repeat(depth) + '}'.repeat(depth);
    const linked = (first: number, depth: number) =>
      server.gql(
        `query ($asOf: DateTime) { project(id: "${PROJECT}") { apiKeys(first: ${first}, asOf: $asOf) { edges { node { id ${links(depth)} } } } } }`,
        { asOf },
        { token: tenant },
      );
    expect((await linked(50, 1)).errors).toBeUndefined(); // 50 + 50
    expect((await linked(50, 2)).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY'); // 50 + 50 + 50
    expect((await linked(10, 5)).errors).toBeUndefined(); // 10 + 5 × 10
  });

  it('keeps answering a gateway’s verifications while a tenant loops heavy asOf queries', async () => {
    const heavy = `query ($asOf: DateTime) { project(id: "${PROJECT}") { ${list('inactive', 100)} } }`;
    let stop = false;
    const outcomes = { answered: 0, busy: 0, other: [] as unknown[] };
    // Six loops at once, each re-sending as soon as it is answered.
    const tenantLoops = Array.from({ length: 6 }, async () => {
      while (!stop) {
        const response = await server.post({ query: heavy, variables: { asOf } }, { token: tenant });
        const body = (await response.json()) as any;
        if (body.data?.project?.inactive?.edges?.length === KEYS / 60) outcomes.answered++;
        else if (body.errors?.[0]?.extensions?.code === 'BUSY') outcomes.busy++;
        else outcomes.other.push(body);
      }
    });
    const latencies: number[] = [];
    await new Promise((resolve) => setTimeout(resolve, 200)); // the loops are under way
    const until = performance.now() + 4000;
    for (let i = 0; performance.now() < until; i++) {
      const started = performance.now();
      const response = await server.post(
        { query: 'mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { valid code } }', variables: { s: secrets[(i * 61) % KEYS] } },
        { token: gateway },
      );
      const body = (await response.json()) as any;
      latencies.push(performance.now() - started);
      expect(body.data.verifyApiKey.code).toMatch(/^(VALID|INACTIVE)$/);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    stop = true;
    await Promise.all(tenantLoops);
    latencies.sort((a, b) => a - b);
    const max = latencies.at(-1)!;
    console.log(
      `verifications beside ${outcomes.answered} heavy asOf answers (${outcomes.busy} BUSY): p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${latencies.length}`,
    );
    expect(outcomes.other).toEqual([]);
    expect(outcomes.answered).toBeGreaterThan(0);
    // Generous: this catches a frozen loop (a whole fold at once), not a slow machine.
    expect(max).toBeLessThan(500);
  }, 60_000);

  it('refuses with BUSY (HTTP 503, Retry-After) when too many heavy requests wait', async () => {
    const heavy = `query ($asOf: DateTime) { project(id: "${PROJECT}") { ${list('inactive', 100)} } }`;
    const responses = await Promise.all(Array.from({ length: 40 }, () => server.post({ query: heavy, variables: { asOf } }, { token: tenant })));
    const busy = responses.filter((response) => response.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.headers.get('retry-after')).toBe('1');
    expect(((await busy[0]!.json()) as any).errors[0].extensions.code).toBe('BUSY');
    const answered = responses.filter((response) => response.status === 200);
    expect(answered.length).toBeGreaterThanOrEqual(20);
  }, 60_000);
});
