// npm run bench: measures the real server against floors taken in the same run,
// prints one table and writes it to bench/results.md. Not part of npm test.
// BENCH_ONLY=tenant, growth, usage, logging or console runs that section alone and puts it into results.md;
// BENCH_USAGE_SIM=keep runs the rest and keeps the last simulation's section.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { PERMISSIONS } from '../src/auth/principal';
import { signToken } from '../src/auth/sign-token';
import { generateApiKey } from '../src/commands/api-key-commands';
import { openDatabase } from '../src/store/database';
import { chainHash } from '../src/store/event-chain';
import { UsageBooks } from '../src/usage/usage-books';
import { DEFAULT_USAGE_RETENTION } from '../src/usage/usage-books-state';
import { ceilTo, HOUR_MS, MINUTE_MS } from '../src/usage/usage-periods';
import { fmt, JWT_SECRET, type LoadResult, log, machineLine, mb, pct, sqliteFileBytes, sqliteUsedBytes, startServiceOn, stop, waitForLine, writeSection } from './bench-process';
import { CONSOLE_SECTION_TITLE, consoleCost } from './console-cost';
import { LOGGING_SECTION_TITLE, loggingCost } from './logging-cost';
import { USAGE_SECTION_TITLE, usageSimulation } from './usage-simulation';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
const LOG_EVENTS = Number(process.env.BENCH_LOG_EVENTS ?? 1_000_000);
const TENANT_LOG_EVENTS = Number(process.env.BENCH_TENANT_LOG_EVENTS ?? 105_000);
const TENANT_SECONDS = Number(process.env.BENCH_TENANT_SECONDS ?? 8);
const GROWTH_KEYS = Number(process.env.BENCH_GROWTH_KEYS ?? 1000);
/**
 * Load seconds of the growth section, all within one 60 s usage window (see usageLogGrowth).
 * Whole seconds: autocannon stops sending at its next 1 s sample after the duration; 59
 * ended 59.96 s into the window once, too close to the boundary on a noisy machine.
 */
const GROWTH_SECONDS = Number(process.env.BENCH_GROWTH_SECONDS ?? 58);
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL === 'off' ? null : (process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const work = mkdtempSync(join(tmpdir(), 'apikeys-bench-'));
const dbFile = join(work, 'bench.db');
const rows: { metric: string; service: string; floor: string; ratio: string; target: string }[] = [];
const notes: string[] = [];

function startService(env: Record<string, string>, databaseUrl = dbFile): Promise<{ url: string; child: ChildProcess }> {
  return startServiceOn(databaseUrl, env);
}

async function startFloor(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/floor-server.ts', dbFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { url: `http://127.0.0.1:${await waitForLine(child, /PORT=(\d+)/)}/graphql`, child };
}

function load(url: string, bodies: string[], options: { connections?: number; seconds?: number; token?: string; startAt?: number } = {}): Promise<LoadResult> {
  const config = {
    url,
    connections: options.connections ?? 50,
    durationSeconds: options.seconds ?? SECONDS,
    startAt: options.startAt,
    headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
    bodies,
  };
  return new Promise((resolve, reject) => {
    // A thousand bodies are more than one command-line argument may hold: the options go in a file.
    const optionsFile = join(work, `load-${randomUUID()}.json`);
    writeFileSync(optionsFile, JSON.stringify(config));
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load-generator.ts', optionsFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator failed (${code})`));
      const result = JSON.parse(output.trim().split('\n').at(-1)!) as LoadResult;
      if (result.errors || result.non2xx) notes.push(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx of ${result.total}`);
      resolve(result);
    });
  });
}

async function measured(url: string, bodies: string[], options: Parameters<typeof load>[2] = {}): Promise<LoadResult> {
  await load(url, bodies, { ...options, seconds: 2 }); // warm-up: JIT, caches, token cache
  return load(url, bodies, options);
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Math.round(Number(line.replace(/\D+/g, '')) / 1024);
}

function timeLoop(seconds: number, body: () => void): number {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    body();
    n++;
  }
  return n / seconds;
}

/** The page queries themselves, in process: the keyset claim without HTTP noise. */
async function pageQueryMicros(): Promise<{ audit: number; keys: number }> {
  const { listAuditEvents } = await import('../src/queries/audit-queries');
  const { listProjectApiKeys } = await import('../src/queries/api-key-queries');
  const db = await openDatabase(dbFile);
  // Measured as a server would run: after SQLite has folded the write-ahead log into the file.
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  const time = async (run: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const started = performance.now();
      await run();
      samples.push((performance.now() - started) * 1000);
    }
    return samples.sort((a, b) => a - b)[1000]!;
  };
  const page = { limit: 51, beforePosition: null };
  const audit = await time(() => listAuditEvents(db, { projectId: 'big' }, page));
  const keys = await time(() => listProjectApiKeys(db, 'big', {}, page, new Date()));
  await db.destroy();
  return { audit, keys };
}

/** Verify and generate on PostgreSQL beside SQLite's, one instance versus two, and how fast a change reaches the other instance. */
async function postgresFigures(token: string, generateBody: string, sqlite: { verify: number; generate: number }) {
  const pg = (await import('pg')).default;
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL! });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const url = `${POSTGRES_URL}${POSTGRES_URL!.includes('?') ? '&' : '?'}schema=${schema}`;
  try {
    log('PostgreSQL: seeding 100 keys');
    const db = await openDatabase(url);
    const seed = {
      db,
      now: () => new Date(),
      metadata: { actor: 'bench-seed', requestId: 'seed', causationId: 'seed', correlationId: 'seed', clientAddress: null, userAgent: null },
    };
    const secrets: string[] = [];
    for (let i = 0; i < 100; i++) secrets.push((await generateApiKey(seed, { projectId: 'bench', name: `pg ${i}`, environment: 'live' })).secret);
    await db.destroy();
    const bodies = secrets.map((secret) =>
      JSON.stringify({ query: 'mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code } }', variables: { secret } }),
    );

    log('PostgreSQL: one instance');
    const one = await startService({}, url);
    const verifyOne = await measured(one.url, bodies, { token });
    const generatePg = await measured(one.url, [generateBody], { token, connections: 10, seconds: 5 });
    log('PostgreSQL: two instances, load split between them');
    const two = await startService({}, url);
    const halves = await Promise.all([load(one.url, bodies, { token, connections: 25 }), load(two.url, bodies, { token, connections: 25 })]);
    const verifyTwo = halves[0].requestsPerSecond + halves[1].requestsPerSecond;

    log('PostgreSQL: propagation of a deactivation from one instance to the other');
    const post = (target: string, query: string, variables: object) =>
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) }).then(
        (r) => r.json() as Promise<any>,
      );
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      const made = (
        await post(
          one.url,
          'mutation ($n: String!) { generateApiKey(input: {projectId: "bench", name: $n, environment: "live"}) { ... on GenerateApiKeyPayload { secret apiKey { id } } } }',
          { n: `prop ${i}` },
        )
      ).data.generateApiKey;
      const code = async () => (await post(two.url, 'mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code } }', { s: made.secret })).data.verifyApiKey.code;
      await code();
      await code(); // cached on the second instance
      await post(one.url, 'mutation ($id: ID!) { deactivateApiKey(input: {id: $id}) { __typename } }', { id: made.apiKey.id });
      const started = performance.now();
      while ((await code()) !== 'INACTIVE') if (performance.now() - started > 5000) break;
      delays.push(performance.now() - started);
    }
    await stop(two.child);
    await stop(one.child);
    delays.sort((x, y) => x - y);
    rows.push(
      {
        metric: 'PostgreSQL: verifyApiKey req/s, one instance',
        service: fmt(verifyOne.requestsPerSecond),
        floor: `SQLite ${fmt(sqlite.verify)}`,
        ratio: pct(verifyOne.requestsPerSecond, sqlite.verify),
        target: '',
      },
      {
        metric: 'PostgreSQL: verifyApiKey req/s, two instances (load split)',
        service: fmt(verifyTwo),
        floor: `one: ${fmt(verifyOne.requestsPerSecond)}`,
        ratio: `${fmt(verifyTwo / verifyOne.requestsPerSecond, 2)}×`,
        target: '',
      },
      {
        metric: 'PostgreSQL: generateApiKey req/s (p99 ms)',
        service: `${fmt(generatePg.requestsPerSecond)} (${generatePg.p99})`,
        floor: `SQLite ${fmt(sqlite.generate)}`,
        ratio: pct(generatePg.requestsPerSecond, sqlite.generate),
        target: '',
      },
      {
        metric: 'PostgreSQL: deactivation on A seen by verification on B (ms, median / max of 20)',
        service: `${fmt(delays[10]!, 1)} / ${fmt(delays.at(-1)!, 1)}`,
        floor: '',
        ratio: '',
        target: '< 1000 ms',
      },
    );
  } finally {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

/** Time from sending a mutation to its event reaching a real SSE subscriber, beside the mutation's own answer time. */
async function feedLatency(url: string, token: string): Promise<{ median: number; max: number; answer: number }> {
  log('live feed latency');
  const { createClient } = await import('graphql-sse');
  const client = createClient({ url, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const events = client.iterate<{ auditEvents: { keyId: string } }>({ query: 'subscription { auditEvents(projectId: "feed") { keyId } }' })[Symbol.asyncIterator]();
  const delays: number[] = [];
  const generateOne = async (name: string): Promise<string> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation { generateApiKey(input: {projectId: "feed", name: "${name}", environment: "live"}) { ... on GenerateApiKeyPayload { apiKey { id } } } }`,
      }),
    });
    return ((await response.json()) as any).data.generateApiKey.apiKey.id;
  };
  /** Reads the feed until the event of this key arrives (warm-up events before it are skipped). */
  const arrivalOf = async (keyId: string) => {
    for (;;) {
      const next = await events.next();
      if (next.done) throw new Error('the feed ended');
      if (next.value.data?.auditEvents.keyId === keyId) return;
    }
  };
  // The stream opens asynchronously: make changes until one comes through.
  const pending = events.next();
  let open = false;
  void pending.then(() => (open = true));
  for (let i = 0; !open && i < 100; i++) {
    await generateOne(`warm-up ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await pending;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const answers: number[] = [];
  for (let i = 1; i <= 100; i++) {
    const sent = performance.now();
    const keyId = await generateOne(`feed ${i}`);
    answers.push(performance.now() - sent);
    await arrivalOf(keyId);
    delays.push(performance.now() - sent);
  }
  await events.return?.();
  client.dispose();
  delays.sort((a, b) => a - b);
  answers.sort((a, b) => a - b);
  return { median: delays[50]!, max: delays.at(-1)!, answer: answers[50]! };
}

/**
 * One tenant must not stall another. A gateway's verification latency at rest, then
 * while a low-privilege tenant (keys:read and audit:read on its own project only)
 * loops its heaviest allowed queries over a log of TENANT_LOG_EVENTS events: asOf
 * lists of 100 with a sparse filter, filtered audit pages, idle keys.
 */
async function tenantIsolation(): Promise<string> {
  const { bulkHistory } = await import('../test/support/bulk-history');
  const file = join(work, 'tenant.db');
  const keys = 5000;
  const usagePerKey = Math.max(1, Math.ceil((TENANT_LOG_EVENTS - keys * 1.02) / keys));
  log(`tenant isolation: seeding ${fmt(keys)} keys with ${usagePerKey} usage windows each, and 100 gateway keys`);
  const db = await openDatabase(file);
  const gatewayKeys = await bulkHistory(db, { projectId: 'gateway', keys: 100 });
  // Every 50th key inactive: a filter on INACTIVE makes each page of 100 rebuild every key.
  const history = await bulkHistory(db, { projectId: 'tenant', keys, deactivateEvery: 50, usagePerKey });
  const events = Number(
    (
      await db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  await db.destroy();
  const someKey = Buffer.from(`ApiKey:${history.keyIds[1]}`).toString('base64');

  const gateway = await signToken(JWT_SECRET, { sub: 'gateway', perms: { '*': ['keys:verify'] }, expiresIn: 3600 });
  const tenant = await signToken(JWT_SECRET, { sub: 'tenant', perms: { tenant: ['keys:read', 'audit:read'] }, expiresIn: 3600 });
  const service = await startService({ USAGE_RECORDING: 'true' }, file);
  const asOf = new Date().toISOString();
  const tenantBodies = [
    `{ project(id: "tenant") { apiKeys(first: 100, asOf: "${asOf}", filter: {status: INACTIVE}) { edges { node { id status usageCount } } } } }`,
    `{ project(id: "tenant") { auditLog(first: 100, filter: {types: [KeyDeactivated], actor: "bulk"}) { edges { node { id type occurredAt } } } } }`,
    `{ project(id: "tenant") { auditLog(first: 100, filter: {includeUsage: true, keyId: "${someKey}", from: "2000-01-01T00:00:00Z"}) { edges { node { id type } } } } }`,
    `{ project(id: "tenant") { idleKeys(days: 1, first: 100) { edges { node { id } } } } }`,
    `{ project(id: "tenant") { apiKeys(first: 100, asOf: "${asOf}", filter: {status: INACTIVE, environment: "live"}) { edges { node { id } } } } }`,
  ].map((query) => JSON.stringify({ query }));
  // Check the bodies once: a typo would otherwise "measure" fast errors.
  for (const body of tenantBodies) {
    const answer = (await (await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant}` }, body })).json()) as any;
    if (answer.errors) throw new Error(`tenant query failed: ${JSON.stringify(answer.errors)}`);
  }

  /** Verifications from two gateway connections, one after another on each, for `seconds`. */
  const probe = async (seconds: number) => {
    const latencies: number[] = [];
    let failed = 0;
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      [0, 1].map(async (lane) => {
        for (let i = lane; performance.now() < until; i += 2) {
          const started = performance.now();
          const response = await fetch(service.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway}` },
            body: JSON.stringify({ query: 'mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { valid code } }', variables: { s: gatewayKeys.secrets[i % 100] } }),
          });
          const body = (await response.json()) as any;
          latencies.push(performance.now() - started);
          if (body.data?.verifyApiKey?.code !== 'VALID') failed++;
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return { p50: latencies[Math.floor(latencies.length / 2)]!, p99: latencies[Math.floor(latencies.length * 0.99)]!, max: latencies.at(-1)!, n: latencies.length, failed };
  };

  log('tenant isolation: gateway verifications at rest');
  await probe(2); // warm-up
  const rest = await probe(TENANT_SECONDS);
  log('tenant isolation: gateway verifications while the tenant loops its heaviest queries');
  const tenantLoad = load(service.url, tenantBodies, { token: tenant, connections: 8, seconds: TENANT_SECONDS + 2 });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const busy = await probe(TENANT_SECONDS);
  const tenantResult = await tenantLoad;
  await stop(service.child);

  const ms = (n: number) => fmt(n, 1);
  const line = (label: string, r: Awaited<ReturnType<typeof probe>>) => `| ${label} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${fmt(r.n)} | ${r.failed} |`;
  return `## Tenant isolation

Run: ${new Date().toISOString()} · ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}
Log: ${fmt(events)} events (${fmt(keys)} tenant keys with ${usagePerKey} usage windows each, every 50th inactive; 100 gateway keys), SQLite.
Gateway: two connections verifying one after another (2 ms pause), ${TENANT_SECONDS} s per phase, measured from the bench process.
Tenant: a token with keys:read and audit:read on its own project only; autocannon, 8 connections, cycling asOf lists of 100 with a sparse filter (status INACTIVE, ± environment), filtered auditLog pages of 100 and idleKeys pages of 100.

| gateway verifyApiKey latency (ms) | p50 | p99 | max | requests | failed |
|---|---|---|---|---|---|
${line('at rest', rest)}
${line('while the tenant loops its heaviest queries', busy)}

Tenant: ${fmt(tenantResult.requestsPerSecond, 1)} req/s answered 2xx, p50 ${tenantResult.p50} ms, p99 ${tenantResult.p99} ms; ${fmt(tenantResult.non2xx)} of ${fmt(tenantResult.total)} refused (BUSY, 503) and ${fmt(tenantResult.errors)} errors.
`;
}

/** What a seeding command needs: the real command path, with the wall clock. */
function seedContext(db: Awaited<ReturnType<typeof openDatabase>>) {
  return {
    db,
    now: () => new Date(),
    metadata: { actor: 'bench-seed', requestId: 'seed', causationId: 'seed', correlationId: 'seed', clientAddress: null, userAgent: null },
  };
}

/** Row counts and bytes of a SQLite file's usage log and chained log (the server stopped). */
function usageLogFigures(file: string) {
  const wal = sqliteFileBytes(file).wal;
  const bytes = sqliteUsedBytes(file);
  const sqlite = new Database(file, { readonly: true });
  const n = (query: string) => Number(sqlite.prepare(query).pluck().get() ?? 0);
  const figures = {
    bytes,
    walBeforeCheckpoint: wal,
    windows: n('select count(*) from usage_windows'),
    windowStarts: n('select count(distinct window_start) from usage_windows'),
    recordedUses: n('select coalesce(sum(total), 0) from usage_windows'),
    projectWindows: n('select count(*) from usage_project_windows'),
    keyHours: n('select count(*) from usage_key_hours'),
    keyDays: n('select count(*) from usage_key_days'),
    events: n('select count(*) from events'),
    usageCount: n('select coalesce(sum(usage_count), 0) from api_keys'),
  };
  sqlite.close();
  return figures;
}

/**
 * How fast the logs grow under traffic. GROWTH_KEYS keys, verified by one gateway
 * token cycling over all of them, with recording on, for GROWTH_SECONDS that lie
 * inside one 60 s usage window; the service is then stopped with SIGTERM (its
 * graceful stop writes what is buffered). Rows and bytes are compared before and
 * after, then again after the books close that hour.
 */
async function usageLogGrowth(): Promise<string> {
  const file = join(work, 'growth.db');
  const windowMs = 60 * 1000; // USAGE_WINDOW_SECONDS' default, which the service runs with here
  log(`usage log growth: seeding ${fmt(GROWTH_KEYS)} keys`);
  const db = await openDatabase(file);
  const secrets: string[] = [];
  for (let i = 0; i < GROWTH_KEYS; i++) secrets.push((await generateApiKey(seedContext(db), { projectId: 'growth', name: `growth ${i}`, environment: 'live' })).secret);
  await db.destroy();
  const bodies = secrets.map((secret) => JSON.stringify({ query: 'mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code } }', variables: { secret } }));
  const before = usageLogFigures(file);

  const gateway = await signToken(JWT_SECRET, { sub: 'gateway', perms: { growth: ['keys:verify'] }, expiresIn: 3600 });
  const service = await startService({ USAGE_RECORDING: 'true', USAGE_WINDOW_SECONDS: String(windowMs / 1000) }, file);
  // The load starts 250 ms after a window boundary (at least 3 s from now: the load
  // generator's own start-up) and stops before the next one: every use in one window.
  const startAt = ceilTo(Date.now() + 3000, windowMs) + 250;
  log(`usage log growth: ${GROWTH_SECONDS} s of verification over ${fmt(GROWTH_KEYS)} keys from ${new Date(startAt).toISOString()}`);
  const traffic = await load(service.url, bodies, { token: gateway, seconds: GROWTH_SECONDS, startAt });
  const walWhileRunning = sqliteFileBytes(file).wal;
  await stop(service.child);
  const after = usageLogFigures(file);

  // The books close that hour once it is over (5 minutes' grace): run them as of then.
  const closeAt = ceilTo(traffic.startedAt, HOUR_MS) + 6 * MINUTE_MS;
  const booksDb = await openDatabase(file);
  await new UsageBooks(booksDb, { retention: DEFAULT_USAGE_RETENTION, now: () => closeAt }).run(closeAt);
  await booksDb.destroy();
  const closed = usageLogFigures(file);

  const keys = GROWTH_KEYS;
  const windows = after.windowStarts - before.windowStarts;
  // A key busy for a whole hour is busy in 60 windows: figures of one window × 60 / keys.
  const perKeyHour = (n: number) => (n * (3600_000 / (Math.max(1, windows) * windowMs))) / keys;
  const records = perKeyHour(after.windows - before.windows);
  const events = perKeyHour(after.events - before.events);
  const bytes = perKeyHour(after.bytes - before.bytes);
  // The closing writes per hour, not per window: its rows and bytes are per key as they are.
  const closingBytes = (closed.bytes - after.bytes) / keys;
  const closingEvents = (closed.events - after.events) / keys;
  const loadSeconds = (traffic.endedAt - traffic.startedAt) / 1000;
  const OLD = { events: 3605, bytes: 4.7e6, verifications: 247_706, newEvents: 60_084, diskMB: 79 };
  const kb = (n: number) => fmt(n / 1000, 1);
  const table = [
    '| metric | with the usage log (this run) | before: KeyUsed events in the chained log (issue figures) | ratio | target |',
    '|---|---|---|---|---|',
    `| verifications, 1,000 keys, one gateway token | ${fmt(traffic.total)} in ${fmt(loadSeconds, 1)} s (${fmt(traffic.requestsPerSecond)} req/s, ${fmt(traffic.total / loadSeconds / keys, 1)} per key per s) | ${fmt(OLD.verifications)} in 60 s (about 4 per key per s) |  |  |`,
    `| usage records (usage_windows rows) per busy key-hour | ${fmt(records, 1)} | (none: ${fmt(OLD.events)} events) |  | ≤ 60 |`,
    `| chained-log events per busy key-hour | ${fmt(events, 2)} | ${fmt(OLD.events)} | ${events === 0 ? 'none now' : `${fmt(OLD.events / events)}× fewer`} |  |`,
    `| records + events per busy key-hour | ${fmt(records + events, 1)} | ${fmt(OLD.events)} | ${fmt(OLD.events / (records + events))}× fewer |  |`,
    `| bytes on disk per busy key-hour (KB) | ${kb(bytes)} | ${fmt(OLD.bytes / 1000)} | ${fmt(OLD.bytes / bytes)}× smaller | ≤ 30 KB |`,
    `| + closing that hour (UsageBooks.run at its end + 6 min): events, KB per key | ${fmt(closingEvents, 3)}, ${kb(closingBytes)} |  |  |  |`,
  ].join('\n');
  const loadEnd = traffic.endedAt - (startAt - 250);
  const checks = [
    ...(windows > 1
      ? [`The load crossed a window boundary (it ended ${fmt(loadEnd / 1000, 2)} s after the window began): per key-hour figures are scaled by the ${windows} windows it touched.`]
      : []),
    `usage_windows rows: ${fmt(before.windows)} → ${fmt(after.windows)} over ${windows} window(s); usage_project_windows ${fmt(before.projectWindows)} → ${fmt(after.projectWindows)}; events ${fmt(before.events)} → ${fmt(after.events)} (${fmt(closed.events)} after the closing, which also wrote ${fmt(closed.keyHours)} usage_key_hours and ${fmt(closed.keyDays)} usage_key_days rows).`,
    `Bytes: ${mb(before.bytes, 2)} MB with the keys alone → ${mb(after.bytes, 2)} MB after the run → ${mb(closed.bytes, 2)} MB after the closing ((page_count − freelist_count) × page_size after wal_checkpoint(TRUNCATE)); the running service's WAL file was ${mb(walWhileRunning)} MB at the end of the load.`,
    `Uses counted: ${fmt(after.recordedUses)} in usage_windows and ${fmt(after.usageCount)} in api_keys.usage_count, for ${fmt(traffic.total)} responses counted by autocannon (${fmt(traffic.non2xx)} non-2xx, ${fmt(traffic.errors)} errors; requests still in flight when it stopped are served but not counted by it).`,
  ];
  return `## Usage log growth under traffic

Run: ${new Date().toISOString()} · ${machineLine()}
SQLite, a fresh file with ${fmt(keys)} keys. autocannon (a separate process, 50 connections) cycled verifyApiKey bodies over all ${fmt(keys)} keys with one gateway token (keys:verify), usage recording on, USAGE_WINDOW_SECONDS=60. The load ran ${fmt(loadSeconds, 2)} s from ${new Date(traffic.startedAt).toISOString()}, 250 ms after a window boundary, to ${fmt(loadEnd / 1000, 2)} s into that window, so that every verification fell in one window (a load across a boundary writes each key in two windows); the service wrote each key early on its first use (quiet key) and again at the window end or at its graceful stop (SIGTERM), both into the same row. Per busy key-hour: the window's rows and bytes × 60 windows an hour ÷ ${fmt(keys)} keys. Before: the issue's run (${fmt(OLD.verifications)} verifications of 1,000 keys in 60 s: ${fmt(OLD.newEvents)} new events, ${OLD.diskMB} MB on disk).

${table}

${checks.map((check) => `- ${check}`).join('\n')}
`;
}

/** A section of the current results.md, from its heading to the next. */
function keptSection(title: string): string {
  const previous = readFileSync(new URL('./results.md', import.meta.url), 'utf8');
  const start = previous.indexOf(`## ${title}`);
  if (start < 0) return `## ${title}\n\nNot run (BENCH_USAGE_SIM=keep, and no earlier section).\n`;
  const end = previous.indexOf('\n## ', start + 3);
  return `${previous.slice(start, end < 0 ? undefined : end).trimEnd()}\n`;
}

async function main() {
  if (process.env.BENCH_ONLY === 'tenant') {
    const section = await tenantIsolation();
    console.log(section);
    // Alone, the section is added to results.md (replacing an earlier one), its other rows untouched.
    const path = new URL('./results.md', import.meta.url);
    const previous = readFileSync(path, 'utf8').replace(/\n## Tenant isolation[\s\S]*?(?=\n## |$)/, '');
    writeFileSync(path, `${previous.trimEnd()}\n\n${section}`);
    return;
  }
  if (process.env.BENCH_ONLY === 'growth' || process.env.BENCH_ONLY === 'usage') {
    const [title, section] = process.env.BENCH_ONLY === 'growth' ? ['Usage log growth under traffic', await usageLogGrowth()] : [USAGE_SECTION_TITLE, await usageSimulation(work)];
    console.log(section);
    writeSection(title, section);
    return;
  }
  if (process.env.BENCH_ONLY === 'console') {
    const section = await consoleCost();
    console.log(section);
    writeSection(CONSOLE_SECTION_TITLE, section);
    return;
  }
  if (process.env.BENCH_ONLY === 'logging') {
    const section = await loggingCost(work, { rounds: ROUNDS, seconds: SECONDS, load });
    console.log(section);
    writeSection(LOGGING_SECTION_TITLE, section);
    return;
  }
  const token = await signToken(JWT_SECRET, { sub: 'bench', perms: { '*': [...PERMISSIONS] }, expiresIn: 3600 });
  const ctx = seedContext;

  log('seeding 100 keys to verify');
  let db = await openDatabase(dbFile);
  const secrets: string[] = [];
  for (let i = 0; i < 100; i++) secrets.push((await generateApiKey(ctx(db), { projectId: 'bench', name: `verify ${i}`, environment: 'live' })).secret);
  await db.destroy();
  const verifyBodies = secrets.map((secret) =>
    JSON.stringify({ query: 'mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code } }', variables: { secret } }),
  );

  // 1. Verification. A machine's speed drifts within a run, so floor and service
  //    take turns, ROUNDS times, and each figure is the median of its rounds.
  const runs: Record<'floor' | 'on' | 'off', LoadResult[]> = { floor: [], on: [], off: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    log(`verify round ${round}/${ROUNDS}: floor, service with usage recording on, and off`);
    const floor = await startFloor();
    runs.floor.push(await measured(floor.url, verifyBodies));
    await stop(floor.child);
    for (const [mode, recording] of [
      ['on', 'true'],
      ['off', 'false'],
    ] as const) {
      const service = await startService({ USAGE_RECORDING: recording });
      runs[mode].push(await measured(service.url, verifyBodies, { token }));
      await stop(service.child);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const rps = (mode: keyof typeof runs) => median(runs[mode].map((run) => run.requestsPerSecond));
  const p = (mode: keyof typeof runs, key: 'p50' | 'p99') => median(runs[mode].map((run) => run[key]));
  const [floorRps, onRps, offRps] = [rps('floor'), rps('on'), rps('off')];
  rows.push(
    { metric: 'verifyApiKey req/s, auth + usage recording on', service: fmt(onRps), floor: fmt(floorRps), ratio: pct(onRps, floorRps), target: '≥ 75 % of floor' },
    {
      metric: 'verifyApiKey p50 / p99 latency (ms)',
      service: `${p('on', 'p50')} / ${p('on', 'p99')}`,
      floor: `${p('floor', 'p50')} / ${p('floor', 'p99')}`,
      ratio: `p99 ${fmt(p('on', 'p99') / p('floor', 'p99'), 2)}×`,
      target: 'p99 ≤ 3× floor',
    },
    { metric: 'verifyApiKey req/s, usage recording off', service: fmt(offRps), floor: fmt(floorRps), ratio: pct(offRps, floorRps), target: '' },
    { metric: 'recording on vs off', service: fmt(onRps), floor: fmt(offRps), ratio: pct(onRps, offRps), target: '≥ 90 %' },
  );
  for (const mode of ['floor', 'on', 'off'] as const) {
    notes.push(`Verify rounds, ${mode}: ${runs[mode].map((run) => fmt(run.requestsPerSecond)).join(' / ')} req/s.`);
  }

  // The access log's cost at LOG_LEVEL=info against warn, and a /metrics scrape (its own file and section).
  const loggingSection = await loggingCost(work, { rounds: ROUNDS, seconds: SECONDS, load });

  // Usage log growth: 1,000 keys, a window's traffic (its own file and section).
  const growthSection = await usageLogGrowth();

  // The console's bundle size and cold load in Chromium (its own section).
  const consoleSection = await consoleCost();

  // 2. Memory under sustained verification.
  log(`verify soak: ${SOAK_SECONDS} s, RSS sampled`);
  let service = await startService({ USAGE_RECORDING: 'true' });
  const pid = service.child.pid!;
  const samples: number[] = [];
  const sampleAt = (seconds: number) => setTimeout(() => samples.push(rssMiB(pid)), seconds * 1000);
  [1, SOAK_SECONDS / 2, SOAK_SECONDS - 1].forEach(sampleAt);
  const soak = await load(service.url, verifyBodies, { token, seconds: SOAK_SECONDS });
  rows.push({
    metric: `RSS during ${SOAK_SECONDS} s of verify load (start / middle / end, MiB)`,
    service: samples.join(' / '),
    floor: '',
    ratio: `${fmt(soak.requestsPerSecond)} req/s`,
    target: 'flat',
  });

  // 3. Generation: every key is an fsynced transaction.
  log('generateApiKey');
  const generateBody = JSON.stringify({ query: 'mutation { generateApiKey(input: {projectId: "gen", name: "bench", environment: "live"}) { __typename } }' });
  const generate = await measured(service.url, [generateBody], { token, connections: 10, seconds: 5 });
  const sqliteFigures = { verify: onRps, generate: generate.requestsPerSecond };
  const feed = await feedLatency(service.url, token);
  rows.push({
    metric: 'live feed: generateApiKey sent → its event at an SSE subscriber (ms, median / max of 100)',
    service: `${fmt(feed.median, 1)} / ${fmt(feed.max, 1)}`,
    floor: `answer: ${fmt(feed.answer, 1)}`,
    ratio: `${fmt(feed.median / feed.answer, 2)}×`,
    target: 'floor: the mutation’s own answer (median)',
  });

  await stop(service.child);
  const raw = new Database(join(work, 'floor.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.exec('create table t (id integer primary key, data text)');
  const insert = raw.prepare('insert into t (data) values (?)');
  const fsyncedInserts = timeLoop(5, () => insert.run(randomUUID()));
  rows.push({
    metric: 'generateApiKey req/s (p99 ms)',
    service: `${fmt(generate.requestsPerSecond)} (${generate.p99})`,
    floor: fmt(fsyncedInserts),
    ratio: pct(generate.requestsPerSecond, fsyncedInserts),
    target: 'floor: one fsynced insert per transaction',
  });

  // 4. Pages at 10k keys / 10k events.
  log('seeding 10,000 keys in one project');
  db = await openDatabase(dbFile);
  for (let i = 0; i < 10_000; i++) await generateApiKey(ctx(db), { projectId: 'big', name: `key ${i}`, environment: i % 2 ? 'live' : 'test' });
  await db.destroy();
  const keysPage = JSON.stringify({ query: '{ project(id: "big") { apiKeys(first: 50) { edges { cursor node { id name maskedKey status createdAt lastUsedAt } } } } }' });
  const auditPage = JSON.stringify({
    query: '{ project(id: "big") { auditLog(first: 50, filter: {includeUsage: true}) { edges { cursor node { id type occurredAt actor } } } } }',
  });
  const lifecyclePage = JSON.stringify({ query: '{ project(id: "big") { auditLog(first: 50) { edges { cursor node { id type occurredAt actor } } } } }' });
  const sqlPage10k = await pageQueryMicros();
  service = await startService({});
  const keys10k = await measured(service.url, [keysPage], { token, connections: 10, seconds: 5 });
  const audit10k = await measured(service.url, [auditPage], { token, connections: 10, seconds: 5 });
  await stop(service.child);

  // 5. Grow the log to LOG_EVENTS with usage events, written raw (the insert floor), then rebuild.
  const sqlite = new Database(dbFile);
  const existing = sqlite.prepare('select count(*) from events').pluck().get() as number;
  const bigKeys = sqlite.prepare("select id from api_keys where project_id = 'big'").pluck().all() as string[];
  const toInsert = LOG_EVENTS - existing;
  log(`inserting ${fmt(toInsert)} usage events raw`);
  const insertEvent = sqlite.prepare(
    'insert into events (stream_id, stream_version, type, schema_version, data, metadata, recorded_at, chain_hash) values (?, ?, ?, 1, ?, ?, ?, ?)',
  );
  // Continue the hash chain, so verify-log has a whole log to check.
  let head = sqlite.prepare('select chain_hash from events order by position desc limit 1').pluck().get() as string;
  const metadata = JSON.stringify({ actor: 'gateway', requestId: 'bench', causationId: 'bench', correlationId: 'bench', clientAddress: null, userAgent: null });
  const insertBatch = sqlite.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const keyId = bigKeys[i % bigKeys.length]!;
      const at = new Date(Date.parse('2026-06-01T00:00:00Z') + i * 1000).toISOString();
      const data = { keyId, projectId: 'big', count: 1, firstAt: at, lastAt: at, outcomes: { VALID: 1 }, lastValidAt: at, lastRejectedAt: null, lastRejectedCode: null };
      const row = {
        stream_id: `${keyId}:usage`,
        stream_version: Math.floor(i / bigKeys.length) + 1,
        type: 'KeyUsed',
        schema_version: 1,
        data: JSON.stringify(data),
        metadata,
        recorded_at: at,
      };
      head = chainHash(head, row);
      insertEvent.run(row.stream_id, row.stream_version, row.type, row.data, row.metadata, row.recorded_at, head);
    }
  });
  let started = performance.now();
  for (let from = 0; from < toInsert; from += 10_000) insertBatch(from, Math.min(from + 10_000, toInsert));
  const insertRate = toInsert / ((performance.now() - started) / 1000);

  log('reading and parsing the whole log raw');
  started = performance.now();
  let parsed = 0;
  for (const row of sqlite.prepare('select data, metadata from events order by position').iterate() as Iterable<{ data: string; metadata: string }>) {
    JSON.parse(row.data);
    JSON.parse(row.metadata);
    parsed++;
  }
  const readRate = parsed / ((performance.now() - started) / 1000);
  sqlite.close();

  log(`npm run rebuild on ${fmt(LOG_EVENTS)} events`);
  started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/rebuild.ts'], { env: { ...process.env, DATABASE_URL: dbFile }, stdio: 'inherit' });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rebuild failed (${code})`))));
  });
  const rebuildRate = LOG_EVENTS / ((performance.now() - started) / 1000);

  log(`npm run verify-log on ${fmt(LOG_EVENTS)} events`);
  started = performance.now();
  const verifyLogOutput = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/verify-log.ts'], { env: { ...process.env, DATABASE_URL: dbFile }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`verify-log failed (${code}): ${output}`))));
  });
  const verifyLogRate = LOG_EVENTS / ((performance.now() - started) / 1000);
  if (!verifyLogOutput.includes(`Log intact: ${LOG_EVENTS} events`)) notes.push(`verify-log did not report an intact log: ${verifyLogOutput.trim()}`);
  rows.push({
    metric: `npm run verify-log events/s (${fmt(LOG_EVENTS)} events, process start included)`,
    service: fmt(verifyLogRate),
    floor: fmt(readRate),
    ratio: pct(verifyLogRate, readRate),
    target: 'floor: raw read + JSON.parse of the log',
  });
  rows.push(
    {
      metric: `rebuild events/s (${fmt(LOG_EVENTS)} events, process start included)`,
      service: fmt(rebuildRate),
      floor: fmt(readRate),
      ratio: pct(rebuildRate, readRate),
      target: 'floor: raw read + JSON.parse of the log',
    },
    { metric: 'raw better-sqlite3 batched inserts, events/s (how the log was grown)', service: '', floor: fmt(insertRate), ratio: '', target: '' },
  );

  const sqlPage1m = await pageQueryMicros();
  service = await startService({});
  const audit1m = await measured(service.url, [auditPage], { token, connections: 10, seconds: 5 });
  const lifecycle1m = await measured(service.url, [lifecyclePage], { token, connections: 10, seconds: 5 });
  const keys1m = await measured(service.url, [keysPage], { token, connections: 10, seconds: 5 });
  // Time travel folds each key's events from the log: here about LOG_EVENTS / 10k usage windows per key.
  const asOfNow = new Date().toISOString();
  const keysPageAsOf = JSON.stringify({
    query: `{ project(id: "big") { apiKeys(first: 50, asOf: "${asOfNow}") { edges { cursor node { id name maskedKey status createdAt lastUsedAt } } } } }`,
  });
  const keysAsOf1m = await measured(service.url, [keysPageAsOf], { token, connections: 10, seconds: 5 });
  const oneKey = new Database(dbFile, { readonly: true }).prepare("select id from api_keys where project_id = 'big' limit 1").pluck().get() as string;
  const keyId = Buffer.from(`ApiKey:${oneKey}`).toString('base64');
  const keyNow = await measured(service.url, [JSON.stringify({ query: `{ apiKey(id: "${keyId}") { status usageCount lastUsedAt } }` })], { token, connections: 10, seconds: 5 });
  const keyAsOf = await measured(service.url, [JSON.stringify({ query: `{ apiKey(id: "${keyId}", asOf: "${asOfNow}") { status usageCount lastUsedAt } }` })], {
    token,
    connections: 10,
    seconds: 5,
  });
  await stop(service.child);
  rows.push(
    {
      metric: `project.apiKeys first page (50) as of now, rebuilt from ${fmt(LOG_EVENTS)} events, p50 / p99 ms`,
      service: `${keysAsOf1m.p50} / ${keysAsOf1m.p99}`,
      floor: `table: ${keys1m.p50} / ${keys1m.p99}`,
      ratio: `${pct(keysAsOf1m.requestsPerSecond, keys1m.requestsPerSecond)} of the table's req/s`,
      target: '',
    },
    {
      metric: `apiKey(id, asOf) of a key with ${fmt(Math.round(LOG_EVENTS / 10_000))} usage windows, req/s`,
      service: fmt(keyAsOf.requestsPerSecond),
      floor: `apiKey(id): ${fmt(keyNow.requestsPerSecond)}`,
      ratio: pct(keyAsOf.requestsPerSecond, keyNow.requestsPerSecond),
      target: '',
    },
  );
  rows.push(
    {
      metric: 'project.apiKeys first page (50) at 10k keys, p50 / p99 ms',
      service: `${keys10k.p50} / ${keys10k.p99}`,
      floor: '',
      ratio: `${fmt(keys10k.requestsPerSecond)} req/s`,
      target: '',
    },
    {
      metric: `  same, with ${fmt(LOG_EVENTS)} events in the log`,
      service: `${keys1m.p50} / ${keys1m.p99}`,
      floor: '',
      ratio: `${fmt(keys1m.requestsPerSecond)} req/s`,
      target: '',
    },
    {
      metric: 'project.auditLog first page (50, usage included) at 10k events, p50 / p99 ms',
      service: `${audit10k.p50} / ${audit10k.p99}`,
      floor: '',
      ratio: `${fmt(audit10k.requestsPerSecond)} req/s`,
      target: '',
    },
    {
      metric: `  same at ${fmt(LOG_EVENTS)} events`,
      service: `${audit1m.p50} / ${audit1m.p99}`,
      floor: '',
      ratio: `${fmt(audit1m.requestsPerSecond / audit10k.requestsPerSecond, 2)}× the 10k throughput`,
      target: '≈ 1 (keyset)',
    },
    {
      metric: 'project.auditLog first page, the read-model query alone (µs, median of 2,000)',
      service: `${fmt(sqlPage10k.audit)} at 10k → ${fmt(sqlPage1m.audit)} at ${fmt(LOG_EVENTS)}`,
      floor: '',
      ratio: `${fmt(sqlPage1m.audit / sqlPage10k.audit, 2)}×`,
      target: '≈ 1 (keyset)',
    },
    {
      metric: 'project.apiKeys first page, the read-model query alone (µs)',
      service: `${fmt(sqlPage10k.keys)} → ${fmt(sqlPage1m.keys)}`,
      floor: '',
      ratio: `${fmt(sqlPage1m.keys / sqlPage10k.keys, 2)}×`,
      target: '',
    },
    {
      metric: `  lifecycle-only page at ${fmt(LOG_EVENTS)} events`,
      service: `${lifecycle1m.p50} / ${lifecycle1m.p99}`,
      floor: '',
      ratio: `${fmt(lifecycle1m.requestsPerSecond)} req/s`,
      target: '',
    },
  );

  const tenantSection = await tenantIsolation();
  if (POSTGRES_URL) await postgresFigures(token, generateBody, sqliteFigures);
  else notes.push('PostgreSQL figures skipped (BENCH_POSTGRES_URL=off).');
  // The simulation takes longer than the rest together: BENCH_USAGE_SIM=keep keeps the last one's section.
  const usageSection = process.env.BENCH_USAGE_SIM === 'keep' ? keptSection(USAGE_SECTION_TITLE) : await usageSimulation(work);

  const machine = machineLine();
  const table = [
    '| metric | service | floor | ratio | target |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.metric} | ${row.service} | ${row.floor} | ${row.ratio} | ${row.target} |`),
  ].join('\n');
  const report = `# Benchmark results

Run: ${new Date().toISOString()} · ${machine}
Load: autocannon in a separate process on the same machine, 50 connections for verification (10 for the rest), ${SECONDS} s runs after a 2 s warm-up; verification figures are medians of ${ROUNDS} alternating rounds (floor, service with recording on, off). Verification cycles through 100 keys. The floor for verification is \`bench/floor-server.ts\`: bare node:http, one SHA-256 and one better-sqlite3 lookup by hash, no auth, no usage recording.

${table}

${notes.map((note) => `- ${note}`).join('\n')}

${tenantSection}
${growthSection}
${usageSection}
${loggingSection}

${consoleSection}`;
  console.log(report);
  writeFileSync(new URL('./results.md', import.meta.url), report);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
