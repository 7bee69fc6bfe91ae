import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/secrets/api-key-secret';
import { changeKey, generateKey } from '../support/api-key-operations';
import { rawRequest } from '../support/raw-http';
import { sseSubscription, until } from '../support/sse-subscription';
import { startTestServer, type TestServer } from '../support/test-server';
import { type Exposition, hasSample, parseExposition, sampleSum } from './prometheus-text';

// /metrics over real HTTP, parsed as Prometheus parses it. Each server keeps its
// own registry, so the counts below are this server's alone, though other servers
// run in the same process.

const VERIFY = 'mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code } }';
// Two operations in one document: the fast path takes exactly one, so this goes through GraphQL execution.
const VERIFY_GENERAL = `mutation Check($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code } } query Other { __typename }`;

/** Every family the README promises (the pool gauges only on PostgreSQL, tested below). */
const FAMILIES = {
  apikeys_verifications_total: 'counter',
  apikeys_verification_duration_seconds: 'histogram',
  apikeys_http_request_duration_seconds: 'histogram',
  apikeys_key_cache_hits_total: 'counter',
  apikeys_key_cache_misses_total: 'counter',
  apikeys_key_cache_entries: 'gauge',
  apikeys_key_cache_trusted: 'gauge',
  apikeys_usage_buffered_tallies: 'gauge',
  apikeys_usage_flush_duration_seconds: 'histogram',
  apikeys_usage_flush_failures_total: 'counter',
  apikeys_feed_subscribers: 'gauge',
  apikeys_heavy_work_queued: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  process_cpu_seconds_total: 'counter',
  nodejs_heap_size_used_bytes: 'gauge',
};

// The server below trusts one proxy: a scrape carries the entry that proxy would write for a scraper beside it.
async function scrape(server: TestServer, headers: Record<string, string> = { 'x-forwarded-for': '127.0.0.1' }): Promise<Exposition> {
  const response = await fetch(`${server.url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe('GET /metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Usage is written only when flushed here, so the buffer's size can be seen.
    server = await startTestServer({ trustProxy: 1, usageWindowSeconds: 3600 });
  });
  afterAll(() => server?.close());

  it('counts verifications by code and path, cache hits and misses, request durations, and reads live state', async () => {
    const key = await generateKey(server, { projectId: 'proj_m' });
    const inactive = await generateKey(server, { projectId: 'proj_m', name: 'to deactivate' });
    await changeKey(server, 'deactivateApiKey', inactive.apiKey.id);
    await server.flushUsage();
    const before = await scrape(server);
    const fastBefore = server.fastPathAnswers;

    expect((await server.gql(VERIFY, { secret: key.secret })).data.verifyApiKey.code).toBe('VALID'); // fast, miss
    expect((await server.gql(VERIFY, { secret: key.secret })).data.verifyApiKey.code).toBe('VALID'); // fast, hit
    expect((await server.gql(VERIFY, { secret: inactive.secret })).data.verifyApiKey.code).toBe('INACTIVE'); // fast, miss
    expect((await server.gql(VERIFY, { secret: 'not a key' })).data.verifyApiKey.code).toBe('MALFORMED'); // fast, no lookup
    const general = await server.post({ query: VERIFY_GENERAL, variables: { secret: key.secret }, operationName: 'Check' });
    expect((await general.json()).data.verifyApiKey.code).toBe('VALID'); // general, hit
    const unknown = await server.post({ query: VERIFY_GENERAL, variables: { secret: generateSecret('live').secret }, operationName: 'Check' });
    expect((await unknown.json()).data.verifyApiKey.code).toBe('NOT_FOUND'); // general, miss
    expect(server.fastPathAnswers - fastBefore).toBe(4);
    // With Accept: application/graphql-response+json a bad document is a 400.
    const broken = await server.post({ query: '{ nope' }, { headers: { accept: 'application/graphql-response+json' } });
    expect(broken.status).toBe(400);
    const unauthenticated = await server.post({ query: VERIFY, variables: { secret: key.secret } }, { token: null });
    expect(unauthenticated.status).toBe(401);

    const after = await scrape(server);
    const delta = (name: string, labels: Record<string, string> = {}) => sampleSum(after, name, labels) - sampleSum(before, name, labels);

    expect(delta('apikeys_verifications_total', { code: 'VALID', path: 'fast' })).toBe(2);
    expect(delta('apikeys_verifications_total', { code: 'INACTIVE', path: 'fast' })).toBe(1);
    expect(delta('apikeys_verifications_total', { code: 'MALFORMED', path: 'fast' })).toBe(1);
    expect(delta('apikeys_verifications_total', { code: 'VALID', path: 'graphql' })).toBe(1);
    expect(delta('apikeys_verifications_total', { code: 'NOT_FOUND', path: 'graphql' })).toBe(1);
    expect(delta('apikeys_verifications_total')).toBe(6);
    // Every code is there from the start, at 0, so rate() sees its first increase.
    expect(hasSample(before, 'apikeys_verifications_total', { code: 'UNAVAILABLE', path: 'graphql' })).toBe(true);
    expect(delta('apikeys_verification_duration_seconds_count', { path: 'fast' })).toBe(4);
    expect(delta('apikeys_verification_duration_seconds_count', { path: 'graphql' })).toBe(2);
    expect(delta('apikeys_key_cache_hits_total')).toBe(2);
    expect(delta('apikeys_key_cache_misses_total')).toBe(3);

    // The six verifications were mutations answered 200; the broken query never got as far as an operation.
    expect(delta('apikeys_http_request_duration_seconds_count', { route: '/graphql', operation: 'mutation', status: '200' })).toBe(6);
    expect(delta('apikeys_http_request_duration_seconds_count', { route: '/graphql', operation: 'none', status: '400' })).toBe(1);
    expect(delta('apikeys_http_request_duration_seconds_count', { route: '/graphql', operation: 'none', status: '401' })).toBe(1);
    // The scrape before this one was itself a request, filed under its route.
    expect(sampleSum(after, 'apikeys_http_request_duration_seconds_count', { route: '/metrics' })).toBeGreaterThanOrEqual(1);

    expect(sampleSum(after, 'apikeys_key_cache_entries')).toBeGreaterThanOrEqual(2);
    expect(sampleSum(after, 'apikeys_key_cache_trusted')).toBe(1);
    // Two keys of one principal in one window: two tallies held until written.
    expect(sampleSum(after, 'apikeys_usage_buffered_tallies')).toBe(2);
    await server.flushUsage();
    const flushed = await scrape(server);
    expect(sampleSum(flushed, 'apikeys_usage_buffered_tallies')).toBe(0);
    expect(sampleSum(flushed, 'apikeys_usage_flush_duration_seconds_count') - sampleSum(after, 'apikeys_usage_flush_duration_seconds_count')).toBe(1);
    expect(sampleSum(flushed, 'apikeys_usage_flush_failures_total')).toBe(0);

    for (const [family, type] of Object.entries(FAMILIES)) {
      expect(flushed.families.get(family)?.type, family).toBe(type);
      expect(flushed.families.get(family)?.help, family).not.toBe('');
      expect(
        flushed.samples.some((sample) => sample.name.startsWith(family)),
        family,
      ).toBe(true);
    }
    // SQLite has no connection pool to report.
    expect(hasSample(flushed, 'apikeys_db_pool_connections')).toBe(false);
  });

  it('counts a verification the database fails once, as UNAVAILABLE on the path that answered it', async () => {
    const { secret } = await generateKey(server, { projectId: 'proj_m' });
    const before = await scrape(server);
    // The key table becomes unreadable; the key is not cached yet, so it must be read.
    await sql`alter table api_keys rename to api_keys_away`.execute(server.db);
    try {
      const response = await server.post({ query: VERIFY, variables: { secret } });
      expect(response.status).toBe(503);
    } finally {
      await sql`alter table api_keys_away rename to api_keys`.execute(server.db);
    }
    const after = await scrape(server);
    const delta = (labels: Record<string, string>) => sampleSum(after, 'apikeys_verifications_total', labels) - sampleSum(before, 'apikeys_verifications_total', labels);
    // The fast path tried first and handed the failure to GraphQL, which answered it: one count, not two.
    expect(delta({ code: 'UNAVAILABLE', path: 'graphql' })).toBe(1);
    expect(delta({})).toBe(1);
    // It was a cache miss that could not be read: counted as one, so a miss-rate alert sees an outage too.
    expect(sampleSum(after, 'apikeys_key_cache_misses_total') - sampleSum(before, 'apikeys_key_cache_misses_total')).toBe(1);
    expect(sampleSum(after, 'apikeys_http_request_duration_seconds_count', { route: '/graphql', status: '503' })).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the verifier's back-off after a failed read
  });

  it('shows live feed subscribers while a stream is open', async () => {
    const feed = sseSubscription(server.url, server.token, 'subscription { auditEvents(projectId: "proj_m") { id } }', {});
    const first = feed.take(1, 10_000);
    await until(() => server.feedSubscribers === 1);
    expect(sampleSum(await scrape(server), 'apikeys_feed_subscribers')).toBe(1);
    await generateKey(server, { projectId: 'proj_m' });
    expect((await first).length).toBe(1);
    await feed.close();
    await until(() => server.feedSubscribers === 0);
    expect(sampleSum(await scrape(server), 'apikeys_feed_subscribers')).toBe(0);
  });

  it('without a metrics token, answers this machine only: a client forwarded from a public address is refused', async () => {
    const forwarded = await rawRequest(server.port, { path: '/metrics', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(forwarded.status).toBe(403);
    expect(forwarded.headers['content-type']).toBe('application/json');
    expect(JSON.parse(forwarded.body).errors[0].extensions.code).toBe('FORBIDDEN');
    expect(forwarded.body).not.toContain('apikeys_');
    // A loopback client behind the trusted proxy is this machine.
    const local = await rawRequest(server.port, { path: '/metrics', headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(local.status).toBe(200);
  });

  it('behind a trusted proxy, a forwarded request without a usable client entry is refused, though the proxy itself is loopback', async () => {
    for (const headers of [{ 'x-forwarded-for': '' }, { 'x-forwarded-for': 'not-an-address' }, { 'x-forwarded-for': ' ' }] as Record<string, string>[]) {
      const response = await rawRequest(server.port, { path: '/metrics', headers });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(response.body).not.toContain('apikeys_');
    }
  });

  it('behind a trusted proxy, a scraper on this machine that goes around the proxy (no X-Forwarded-For) is answered', async () => {
    // As the README's set-up has it: the proxy blocks /metrics and Prometheus scrapes the instance directly.
    const direct = await rawRequest(server.port, { path: '/metrics' });
    expect(direct.status).toBe(200);
    expect(direct.body).toContain('apikeys_verifications_total');
  });
});

/** An IPv4 address of this machine that is not loopback, so a connection to it comes from a non-loopback peer. */
function externalIPv4(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;
}

describe('GET /metrics with TRUST_PROXY=0, from a peer that is not loopback', () => {
  const TOKEN = 'metrics-token-for-the-scraper-0123456789';
  const address = externalIPv4();
  if (!address) console.warn('metrics.test.ts: this machine has no non-internal IPv4 address; the non-loopback /metrics cases are skipped');
  let open: TestServer;
  let guarded: TestServer;
  beforeAll(async () => {
    if (!address) return;
    open = await startTestServer({ host: '0.0.0.0' });
    guarded = await startTestServer({ host: '0.0.0.0', metricsToken: TOKEN });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
  });

  it.skipIf(!address)('a spoofed X-Forwarded-For: 127.0.0.1 is ignored: 403; with the metrics token configured and sent, 200', async () => {
    const spoofed = { 'x-forwarded-for': '127.0.0.1' };
    const refused = await fetch(`http://${address}:${open.port}/metrics`, { headers: spoofed });
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain('apikeys_');
    const withoutToken = await fetch(`http://${address}:${guarded.port}/metrics`, { headers: spoofed });
    expect(withoutToken.status).toBe(401);
    const withToken = await fetch(`http://${address}:${guarded.port}/metrics`, { headers: { ...spoofed, authorization: `Bearer ${TOKEN}` } });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain('apikeys_verifications_total');
  });
});

describe('GET /metrics with a metrics token', () => {
  const TOKEN = 'metrics-token-for-the-scraper-0123456789';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ trustProxy: 1, metricsToken: TOKEN });
  });
  afterAll(() => server?.close());

  it('needs the token from everyone, loopback included, and then answers from anywhere', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, `Bearer ${server.token}`]) {
      const response = await rawRequest(server.port, { path: '/metrics', headers: authorization === undefined ? {} : { authorization } });
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(JSON.parse(response.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    const remote = await rawRequest(server.port, { path: '/metrics', headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.9' } });
    expect(remote.status).toBe(200);
    const exposition = parseExposition(remote.body);
    // A registry of its own: the other server's verifications are not counted here.
    expect(sampleSum(exposition, 'apikeys_verifications_total')).toBe(0);
    expect(exposition.families.get('apikeys_verifications_total')?.type).toBe('counter');
  });
});

describe.runIf(process.env.TEST_POSTGRES_URL)('GET /metrics on PostgreSQL', () => {
  const base = process.env.TEST_POSTGRES_URL!;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  let server: TestServer;
  beforeAll(async () => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    await client.query(`create schema ${schema}`);
    await client.end();
    server = await startTestServer({ databaseUrl: `${base}${base.includes('?') ? '&' : '?'}schema=${schema}` });
  });
  afterAll(async () => {
    await server?.close();
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('reports both connection pools and whether change notifications are live', async () => {
    const key = await generateKey(server);
    expect((await server.gql(VERIFY, { secret: key.secret })).data.verifyApiKey.code).toBe('VALID');
    const exposition = await scrape(server);
    for (const pool of ['main', 'verification']) {
      expect(sampleSum(exposition, 'apikeys_db_pool_connections', { pool }), pool).toBeGreaterThanOrEqual(1);
      expect(hasSample(exposition, 'apikeys_db_pool_idle_connections', { pool }), pool).toBe(true);
      expect(sampleSum(exposition, 'apikeys_db_pool_waiting_requests', { pool }), pool).toBe(0);
    }
    // The change listener confirms delivery every quarter of CHANGE_STALENESS_MS: trusted soon after start.
    let trusted = sampleSum(exposition, 'apikeys_key_cache_trusted');
    for (let tries = 0; trusted !== 1 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      trusted = sampleSum(await scrape(server), 'apikeys_key_cache_trusted');
    }
    expect(trusted).toBe(1);
  });
});
