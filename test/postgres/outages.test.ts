import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/principal';
import { signToken } from '../../src/auth/sign-token';
import { gqlAt, type SpawnedServer, spawnServer } from '../support/spawned-server';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TEST_JWT_SECRET } from '../support/test-server';

// PostgreSQL going away (a restart, a failover, a network blip) and a notification
// channel that goes silent without closing, made by a TCP proxy of this test's own
// between the instances and the shared server, which is never touched.

const GENERATE = `mutation ($p: String!) { generateApiKey(input: {projectId: $p, name: "outage", environment: "live"}) {
  ... on GenerateApiKeyPayload { secret keyId } } }`;
const VERIFY = `mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code } }`;
const change = (mutation: string) => `mutation ($id: ID!) { r: ${mutation}(input: {id: $id}) { __typename } }`;

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
  ms: number;
}

describe('database outages', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let token: string;
  const servers: SpawnedServer[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(process.env.TEST_POSTGRES_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    token = await signToken(TEST_JWT_SECRET, { sub: 'outage', perms: { '*': [...PERMISSIONS] }, expiresIn: 3600 });
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await proxy?.close();
    await database?.cleanup();
  });

  const start = async (databaseUrl: string) => {
    // One-second usage windows: the load's usage is written every second, so writes fail (and are kept for later) all through the outage.
    const server = await spawnServer(databaseUrl, { USAGE_WINDOW_SECONDS: '1' });
    servers.push(server);
    return server;
  };
  const generate = async (server: SpawnedServer, projectId: string) =>
    (await gqlAt(server.url, token, GENERATE, { p: projectId })).data.generateApiKey as { secret: string; keyId: string };
  const verify = async (server: SpawnedServer, secret: string): Promise<Answer> => {
    const started = performance.now();
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: VERIFY, variables: { s: secret } }),
    });
    const body = (await response.json()) as { data?: { verifyApiKey?: { code: string } }; errors?: { extensions?: { code?: string } }[] };
    return {
      status: response.status,
      code: body.data?.verifyApiKey?.code ?? body.errors?.[0]?.extensions?.code,
      retryAfter: response.headers.get('retry-after'),
      ms: performance.now() - started,
    };
  };
  const waitFor = async (check: () => Promise<boolean>, withinMs: number) => {
    const started = performance.now();
    while (performance.now() - started < withinMs) {
      if (await check()) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`not within ${withinMs} ms`);
  };

  it('an instance whose notification channel goes silent stops trusting its cache within the bound', async () => {
    const a = await start(database.url);
    const b = await start(proxy.urlFor(database.url));
    const key = await generate(a, 'proj_silent');
    expect((await verify(b, key.secret)).code).toBe('VALID');
    expect((await verify(b, key.secret)).code).toBe('VALID'); // cached on b now

    // b's LISTEN connection stops delivering without closing, as behind a NAT that dropped the flow.
    expect(proxy.freezeWhere(/LISTEN/)).toBe(1);
    await gqlAt(a.url, token, change('deactivateApiKey'), { id: key.keyId });
    const deactivatedAt = performance.now();
    let code = (await verify(b, key.secret)).code;
    while (code === 'VALID' && performance.now() - deactivatedAt < 5000) code = (await verify(b, key.secret)).code;
    expect(code).toBe('INACTIVE');
    // The bound is 1 s after the commit; the rest allows for the request that saw it on a loaded machine.
    expect(performance.now() - deactivatedAt).toBeLessThan(2000);

    // b notices the silence, replaces the connection, and trusts its cache again.
    await waitFor(async () => {
      const ready = await fetch(b.url.replace('/graphql', '/ready'));
      return ready.status === 200;
    }, 10_000);
    await gqlAt(a.url, token, change('reactivateApiKey'), { id: key.keyId });
    await waitFor(async () => (await verify(b, key.secret)).code === 'VALID', 1000);
  });

  it('two instances under load stay up while PostgreSQL goes away, fail closed fast with 503, and serve again when it is back', async () => {
    const a = await start(proxy.urlFor(database.url));
    const b = await start(proxy.urlFor(database.url));
    const key = await generate(a, 'proj_outage');
    expect((await verify(b, key.secret)).code).toBe('VALID');

    const answers: Answer[] = [];
    const failures: string[] = [];
    let loading = true;
    const worker = async (server: SpawnedServer) => {
      while (loading) {
        try {
          answers.push(await verify(server, key.secret));
        } catch (error) {
          failures.push(String(error)); // a dead instance refuses connections
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const load = Promise.all([worker(a), worker(b), worker(a), worker(b)]);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // The database restarts: every connection is cut, and new ones are refused for 3 s.
    proxy.refusing = true;
    proxy.cutAll();
    const outageStarted = answers.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const during = await gqlAt(a.url, token, GENERATE, { p: 'proj_outage' });
    const readyDuring = await fetch(a.url.replace('/graphql', '/ready'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    proxy.refusing = false;
    const recoveredIn = await waitFor(async () => answers.slice(-8).every((answer) => answer.code === 'VALID') && answers.length > outageStarted + 8, 10_000);
    loading = false;
    await load;

    expect(failures).toEqual([]);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
    const outage = answers.slice(outageStarted);
    const unavailable = outage.filter((answer) => answer.code === 'UNAVAILABLE');
    expect(unavailable.length).toBeGreaterThan(0);
    // Every answer is VALID or a typed 503 telling when to retry; none is slow.
    for (const answer of outage) {
      if (answer.code === 'VALID') expect(answer.status).toBe(200);
      else expect(answer).toMatchObject({ status: 503, code: 'UNAVAILABLE', retryAfter: '1' });
      expect(answer.ms).toBeLessThan(2000);
    }
    expect(during.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
    expect(readyDuring.status).toBe(503);
    expect(recoveredIn).toBeLessThan(10_000);

    // Writes and cross-instance invalidation work again.
    await gqlAt(a.url, token, change('deactivateApiKey'), { id: key.keyId });
    await waitFor(async () => (await verify(b, key.secret)).code === 'INACTIVE', 1000);
  });
});
