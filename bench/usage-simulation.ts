// 30 days of a busy service's usage log, simulated on a clock of its own: the real
// UsageRecorder, commitUsage, closing and retention (UsageBooks, default retention)
// over 1,000 keys that are in use all the time. Reports the database's size at the
// end of every simulated day, rebuild and verify times beside a database with the
// same keys and lifecycle but no usage, and the analytics queries' latency over it
// through the real server. Run by bench/run.ts, or alone: BENCH_ONLY=usage npm run bench.
import { join } from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import type { UsageOutcome } from '../events/key-events';
import { rebuildProjections } from '../projections/rebuild';
import { PERMISSIONS } from '../src/auth/principal';
import { signToken } from '../src/auth/sign-token';
import { changeApiKey, generateApiKey, type KeyChange } from '../src/commands/api-key-commands';
import type { CommandContext } from '../src/commands/command-context';
import { type Db, openDatabase } from '../src/store/database';
import { checkLogIntegrity } from '../src/store/log-integrity';
import { checkUsageBooks } from '../src/usage/check-usage-books';
import { UsageBooks } from '../src/usage/usage-books';
import { DEFAULT_USAGE_RETENTION, keptFrom, readBooksState } from '../src/usage/usage-books-state';
import { ceilTo, DAY_MS, floorTo, HOUR_MS, MINUTE_MS } from '../src/usage/usage-periods';
import { seriesRange, usageSeries } from '../src/usage/usage-queries';
import { UsageRecorder } from '../src/verification/usage-recorder';
import { fmt, JWT_SECRET, log, machineLine, mb, percentile, sqliteFileBytes, startServiceOn, stop } from './bench-process';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const DAYS = num('BENCH_USAGE_DAYS', 30);
const KEYS = num('BENCH_USAGE_KEYS', 1000);
/** record() calls per key and window (by the first principal). */
const USES = num('BENCH_USAGE_USES', 4);
/** Windows recorded before each flush (1: a flush after every window end, as the server does; 10 halves the cost, see results.md). */
const FLUSH_WINDOWS = num('BENCH_USAGE_FLUSH_WINDOWS', 10);
/** Every n-th key is also verified by a second gateway (one more use per window, its own record). */
const SECOND_PRINCIPAL_EVERY = num('BENCH_USAGE_SECOND_PRINCIPAL_EVERY', 10);
const CALIBRATE_HOURS = num('BENCH_USAGE_CALIBRATE_HOURS', 3);
/** Above this projected wall time the simulation stops after calibrating and reports why. */
const MAX_MINUTES = num('BENCH_USAGE_MAX_MINUTES', 15);
const REQUESTS = num('BENCH_USAGE_REQUESTS', 200);
const WINDOW_MS = 60_000; // USAGE_WINDOW_SECONDS' default
const PROJECT = 'sim';
const TITLE = 'Usage log simulation';
export const USAGE_SECTION_TITLE = TITLE;

type Status = 'ACTIVE' | 'INACTIVE' | 'DELETED';

interface SimKey {
  index: number;
  ids: string[]; // per database: [with usage, without]
  status: Status;
  expiresAt: number | null;
}

interface LifecycleStep {
  at: number;
  change: KeyChange;
  keys: (index: number) => boolean;
  reason: string;
}

interface DayFigures {
  day: number;
  /** File + WAL after a TRUNCATE checkpoint. */
  bytes: number;
  /** Of the file, pages on SQLite's free list (not handed back to the file system). */
  freeBytes: number;
  walBeforeCheckpoint: number;
  windowRows: number;
  hourRows: number;
  wallSeconds: number;
}

function outcomeOf(key: SimKey, at: number): UsageOutcome {
  if (key.status === 'DELETED') return 'DELETED';
  if (key.expiresAt !== null && key.expiresAt <= at) return 'EXPIRED';
  return key.status === 'INACTIVE' ? 'INACTIVE' : 'VALID';
}

/** A pino logger whose lines are counted (errors) and kept (the rest), not printed. */
function countingLogger() {
  const counts = { errors: 0, warnings: 0, released: {} as Record<string, number>, lastError: '' };
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { level: number; msg: string; removed?: Record<string, number>; err?: { message?: string } };
        if (entry.level >= 50) {
          counts.errors++;
          counts.lastError = `${entry.msg}: ${entry.err?.message ?? ''}`;
          log(`simulation: ${counts.lastError}`);
        } else if (entry.level >= 40) counts.warnings++;
        for (const [table, n] of Object.entries(entry.removed ?? {})) counts.released[table] = (counts.released[table] ?? 0) + n;
      },
    },
  );
  return { logger, counts };
}

async function count(db: Db, table: 'usage_windows' | 'usage_key_hours' | 'events'): Promise<number> {
  return Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

async function sumUsageCount(db: Db): Promise<number> {
  return Number(
    (
      await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.sum('usage_count').as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await run();
  return { ms: performance.now() - started, result };
}

/** p50 and p99 (ms) of `requests` sequential calls after `warmUp` unmeasured ones. */
async function latencies(call: () => Promise<void>, requests = REQUESTS, warmUp = 20): Promise<{ p50: number; p99: number; max: number }> {
  for (let i = 0; i < warmUp; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: samples.at(-1)! };
}

export async function usageSimulation(work: string): Promise<string> {
  const runStarted = performance.now();
  const file = join(work, 'usage-sim.db');
  const twinFile = join(work, 'usage-sim-no-usage.db');
  const end = floorTo(Date.now(), WINDOW_MS);
  const start = end - DAYS * DAY_MS;
  let clock = start;
  const db = await openDatabase(file);
  const twin = await openDatabase(twinFile);
  const ctx = (on: Db): CommandContext => ({
    db: on,
    now: () => new Date(clock),
    metadata: { actor: 'sim-admin', requestId: 'sim', causationId: 'sim', correlationId: 'sim', clientAddress: null, userAgent: null },
  });

  // 1. The keys, through the command path, in both databases at the same simulated moments.
  log(`usage simulation: generating ${fmt(KEYS)} keys in two databases (with usage, and without)`);
  const keys: SimKey[] = [];
  for (let index = 0; index < KEYS; index++) {
    // Every 100th key expires on day 20 and is refused EXPIRED from then on.
    const expiresAt = index % 100 === 0 ? start + 20 * DAY_MS : null;
    const input = { projectId: PROJECT, name: `sim key ${index}`, environment: index % 2 ? 'live' : 'test', expiresAt: expiresAt === null ? null : new Date(expiresAt) };
    const ids = [(await generateApiKey(ctx(db), input)).keyId, (await generateApiKey(ctx(twin), input)).keyId];
    keys.push({ index, ids, status: 'ACTIVE', expiresAt });
    clock += 10;
  }
  const lifecycle = (<LifecycleStep[]>[
    { at: start + 5 * DAY_MS + 30 * MINUTE_MS, change: 'DeactivateKey', keys: (i) => i % 50 === 1, reason: 'suspected leak' },
    { at: start + 7 * DAY_MS + 30 * MINUTE_MS, change: 'ReactivateKey', keys: (i) => i % 50 === 1, reason: 'cleared' },
    { at: start + 15 * DAY_MS + 30 * MINUTE_MS, change: 'DeleteKey', keys: (i) => i % 100 === 2, reason: 'decommissioned' },
    { at: start + 25 * DAY_MS + 30 * MINUTE_MS, change: 'DeactivateKey', keys: (i) => i % 100 === 3, reason: 'paused' },
  ]).filter((step) => step.at < end);
  const STATUS_AFTER: Record<KeyChange, Status> = { DeactivateKey: 'INACTIVE', ReactivateKey: 'ACTIVE', DeleteKey: 'DELETED' };

  // 2. Usage: the real recorder and books on the simulated clock; their timers are never started.
  const { logger, counts } = countingLogger();
  let recordsCommitted = 0;
  const recorder = new UsageRecorder(db, {
    windowMs: WINDOW_MS,
    instance: 'sim-1',
    now: () => clock,
    logger,
    afterCommit: (windows) => (recordsCommitted += windows.length),
  });
  const books = new UsageBooks(db, { retention: DEFAULT_USAGE_RETENTION, now: () => clock, logger });
  const principals = ['gateway-a', 'gateway-b'];
  const spacing = Math.floor(WINDOW_MS / (USES + 1));
  const totalWindows = (end - start) / WINDOW_MS;
  let uses = 0;
  let windowsDone = 0;
  let booksRuns = 0;
  const wall = { record: 0, flush: 0, books: 0, lifecycle: 0, measure: 0 };
  const days: DayFigures[] = [];
  let dayStarted = performance.now();
  let projection = '';

  const flush = async () => {
    const started = performance.now();
    await recorder.flush();
    wall.flush += performance.now() - started;
  };

  log(`usage simulation: ${fmt(totalWindows)} windows of ${WINDOW_MS / 1000} s from ${new Date(start).toISOString()} to ${new Date(end).toISOString()}`);
  for (let window = start; window < end; window += WINDOW_MS) {
    const windowEnd = window + WINDOW_MS;
    let started = performance.now();
    while (lifecycle.length > 0 && lifecycle[0]!.at <= window) {
      const step = lifecycle.shift()!;
      clock = step.at;
      for (const key of keys.filter((k) => step.keys(k.index))) {
        for (const [n, on] of [db, twin].entries()) await changeApiKey(ctx(on), step.change, key.ids[n]!, { reason: step.reason });
        key.status = STATUS_AFTER[step.change];
        clock += 10;
      }
    }
    wall.lifecycle += performance.now() - started;

    started = performance.now();
    for (const key of keys) {
      const id = key.ids[0]!;
      for (let use = 1; use <= USES; use++) {
        const at = window + use * spacing + (key.index % spacing);
        recorder.record(id, PROJECT, principals[0]!, outcomeOf(key, at), at);
      }
      uses += USES;
      if (key.index % SECOND_PRINCIPAL_EVERY === 0) {
        const at = window + WINDOW_MS - 1 - (key.index % spacing);
        recorder.record(id, PROJECT, principals[1]!, outcomeOf(key, at), at);
        uses++;
      }
    }
    wall.record += performance.now() - started;
    windowsDone++;
    clock = windowEnd; // the window is over: the server's boundary timer would flush now
    if (windowsDone % FLUSH_WINDOWS === 0 || windowEnd >= end) await flush();

    // The server looks at its books every minute; once an hour, 6 minutes past, is enough to close each hour.
    if (windowEnd % HOUR_MS === 6 * MINUTE_MS) {
      await flush();
      started = performance.now();
      await books.run(windowEnd);
      wall.books += performance.now() - started;
      booksRuns++;
    }

    if (windowsDone === CALIBRATE_HOURS * 60) {
      const perWindow = (wall.record + wall.flush) / windowsDone;
      const perBooksRun = booksRuns > 0 ? wall.books / booksRuns : 0;
      const projectedMinutes = (perWindow * totalWindows + perBooksRun * (totalWindows / 60)) / 60_000;
      projection =
        `${fmt(perWindow, 1)} ms per window (record ${fmt(wall.record / windowsDone, 1)}, flush ${fmt(wall.flush / windowsDone, 1)}) and ` +
        `${fmt(perBooksRun)} ms per hourly books run, over the first ${CALIBRATE_HOURS} simulated hours: ${fmt(projectedMinutes, 1)} min projected for ${fmt(totalWindows)} windows (retention's deletes not included: they start on day 3)`;
      log(`usage simulation calibration: ${projection}`);
      if (projectedMinutes > MAX_MINUTES) {
        await recorder.stop();
        await Promise.all([db.destroy(), twin.destroy()]);
        return `## ${TITLE}

Run: ${new Date().toISOString()} · ${machineLine()}
Not run to the end: ${projection}, above BENCH_USAGE_MAX_MINUTES = ${MAX_MINUTES}. Settings: ${USES} uses per key and window, a flush every ${FLUSH_WINDOWS} window(s). Retention's deletes come on top from day 3 (about as much again per simulated day). To run it anyway: BENCH_USAGE_MAX_MINUTES=60; a shortened run: BENCH_USAGE_DAYS=4.
`;
      }
    }

    if ((windowEnd - start) % DAY_MS === 0) {
      started = performance.now();
      const walBeforeCheckpoint = sqliteFileBytes(file).wal;
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
      const onDisk = sqliteFileBytes(file);
      const pragma = async (name: string) => Number(Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as object)[0]);
      const figures: DayFigures = {
        day: (windowEnd - start) / DAY_MS,
        bytes: onDisk.file + onDisk.wal,
        freeBytes: (await pragma('freelist_count')) * (await pragma('page_size')),
        walBeforeCheckpoint,
        windowRows: await count(db, 'usage_windows'),
        hourRows: await count(db, 'usage_key_hours'),
        wallSeconds: (performance.now() - dayStarted) / 1000,
      };
      wall.measure += performance.now() - started;
      days.push(figures);
      dayStarted = performance.now();
      log(
        `usage simulation: day ${figures.day}: ${mb(figures.bytes)} MB (free list ${mb(figures.freeBytes)} MB, WAL before checkpoint ${mb(walBeforeCheckpoint)} MB), ` +
          `${fmt(figures.windowRows)} window rows, ${fmt(figures.hourRows)} key-hour rows, ${fmt(figures.wallSeconds)} s`,
      );
    }
  }
  await recorder.stop();
  const started = performance.now();
  await books.run(end);
  wall.books += performance.now() - started;
  const simulationSeconds = (performance.now() - runStarted) / 1000;

  // 3. Totals, then rebuild and verify, beside the database without usage.
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(twin);
  const finalBytes = sqliteFileBytes(file);
  const twinBytes = sqliteFileBytes(twinFile);
  const counted = await sumUsageCount(db);
  const events = await count(db, 'events');
  const twinEvents = await count(twin, 'events');
  const closedThrough = (await readBooksState(db)).closedThrough;
  log('usage simulation: rebuild and verify, with usage and without');
  const measure = async (on: Db) => {
    const rebuild = await timed(() => rebuildProjections(on));
    const chain = await timed(() => checkLogIntegrity(on));
    const usageBooks = await timed(() => checkUsageBooks(on));
    return { rebuild, chain, usageBooks };
  };
  const withUsage = await measure(db);
  const without = await measure(twin);
  const countedAfterRebuild = await sumUsageCount(db);
  const checks: string[] = [];
  if (counted !== uses) checks.push(`api_keys.usage_count sums to ${fmt(counted)}, not the ${fmt(uses)} uses recorded`);
  if (countedAfterRebuild !== counted) checks.push(`after the rebuild api_keys.usage_count sums to ${fmt(countedAfterRebuild)}, not ${fmt(counted)}`);
  if (!withUsage.chain.result.ok || !without.chain.result.ok) checks.push(`chain check failed: ${withUsage.chain.result.problem ?? without.chain.result.problem}`);
  if (!withUsage.usageBooks.result.ok) checks.push(`usage books check failed: ${withUsage.usageBooks.result.problems.slice(0, 3).join('; ')}`);
  if (counts.errors > 0) checks.push(`${counts.errors} errors logged by the recorder or the books (last: ${counts.lastError})`);

  // 4. Analytics at that volume: the query alone in process, then through the real server.
  const busyKey = keys[5]!.ids[0]!;
  const from = end - 30 * DAY_MS;
  const state = await readBooksState(db);
  const kept = keptFrom(state, DEFAULT_USAGE_RETENTION, Date.now());
  const booksRead = await latencies(async () => void (await readBooksState(db)));
  const keyQuery = await latencies(async () => void (await usageSeries(db, { keyId: busyKey }, seriesRange(from, end, 'HOUR', kept), 'HOUR', state.closedThrough)));
  const projectQuery = await latencies(async () => void (await usageSeries(db, { projectId: PROJECT }, seriesRange(from, end, 'DAY', kept), 'DAY', state.closedThrough)));
  await Promise.all([db.destroy(), twin.destroy()]);

  log('usage simulation: analytics through the real server');
  const token = await signToken(JWT_SECRET, { sub: 'bench', perms: { '*': [...PERMISSIONS] }, expiresIn: 3600 });
  const service = await startServiceOn(file, {});
  const variables = { id: Buffer.from(`ApiKey:${busyKey}`).toString('base64'), project: PROJECT, from: new Date(from).toISOString(), to: new Date(end).toISOString() };
  const post = async (query: string, expectPoints: number) => {
    const response = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as any;
    const usage = body.data?.apiKey?.usage ?? body.data?.project?.usage;
    if (body.errors || usage?.points?.length !== expectPoints) throw new Error(`analytics query failed: ${JSON.stringify(body).slice(0, 400)}`);
  };
  const keyHours = `query ($id: ID!, $from: DateTime!, $to: DateTime!) { apiKey(id: $id) { usage(from: $from, to: $to, granularity: HOUR) {
    __typename ... on UsageSeries { points { start total } } ... on ValidationError { message } } } }`;
  const projectDays = `query ($project: String!, $from: DateTime!, $to: DateTime!) { project(id: $project) { usage(from: $from, to: $to, granularity: DAY) {
    __typename ... on UsageSeries { points { start total valid rejected byCode { code count } } } ... on ValidationError { message } } } }`;
  const hourPoints = (ceilTo(end, HOUR_MS) - floorTo(from, HOUR_MS)) / HOUR_MS;
  const dayPoints = (ceilTo(end, DAY_MS) - floorTo(from, DAY_MS)) / DAY_MS;
  let keyHttp: Awaited<ReturnType<typeof latencies>>;
  let projectHttp: Awaited<ReturnType<typeof latencies>>;
  try {
    keyHttp = await latencies(() => post(keyHours, hourPoints));
    projectHttp = await latencies(() => post(projectDays, dayPoints));
  } finally {
    await stop(service.child);
  }

  // 5. The section.
  const last = days.at(-1);
  const peak = days.reduce((max, day) => Math.max(max, day.bytes), 0);
  const ms = (n: number) => fmt(n, n < 10 ? 2 : n < 100 ? 1 : 0);
  const dayTable = days
    .map((d) => `| ${d.day} | ${mb(d.bytes)} | ${mb(d.freeBytes)} | ${mb(d.walBeforeCheckpoint)} | ${fmt(d.windowRows)} | ${fmt(d.hourRows)} | ${fmt(d.wallSeconds)} |`)
    .join('\n');
  const secondPrincipals = Math.ceil(KEYS / SECOND_PRINCIPAL_EVERY);
  return `## ${TITLE}

Run: ${new Date().toISOString()} · ${machineLine()}
${DAYS === 30 ? '' : `**Shortened: ${DAYS} simulated days (BENCH_USAGE_DAYS=${DAYS}) instead of 30.** At the last day's pace (${fmt(last?.wallSeconds ?? 0)} s per simulated day, retention's daily deletes included) 30 days would take about ${fmt((days.reduce((sum, d) => sum + d.wallSeconds, 0) + (30 - days.length) * (last?.wallSeconds ?? 0)) / 60)} min.\n`}Clock: simulated, from ${new Date(start).toISOString()} (${DAYS} days before the run) to ${new Date(end).toISOString()} (the run's start), ${fmt(totalWindows)} windows of ${WINDOW_MS / 1000} s; a fresh SQLite file.
Keys: ${fmt(KEYS)} in one project, generated through \`generateApiKey\` with the simulated clock; lifecycle: every 100th key expires on day 20, every 50th (from key 1) is deactivated on day 5 and reactivated on day 7, every 100th (from key 2) deleted on day 15, every 100th (from key 3) deactivated on day 25. Rejected uses carry the code the key's state gives (INACTIVE, EXPIRED, DELETED), so every key stays busy.
Usage: the real \`UsageRecorder\` (timers never started) gets ${USES} \`record()\` calls per key and window from principal gateway-a, and every ${SECOND_PRINCIPAL_EVERY}th key one more from gateway-b (${fmt(KEYS + secondPrincipals)} records per window); \`flush()\` is called after the clock passes ${FLUSH_WINDOWS === 1 ? 'each window end' : `every ${FLUSH_WINDOWS}th window end`}; the real \`UsageBooks\` with default retention (windows 2 days, hours 90 days, days for good) runs at 6 minutes past every simulated hour. The outcome of each use is taken from a mirror of the key's state, not from \`KeyVerifier\` (no hashing, no cache: nothing the storage depends on).
Calibration: ${projection || 'not reached'}.
Wall time: ${fmt(simulationSeconds / 60, 1)} min for the simulation (record ${fmt(wall.record / 1000)} s, flush ${fmt(wall.flush / 1000)} s, books ${fmt(wall.books / 1000)} s, lifecycle ${fmt(wall.lifecycle / 1000, 1)} s, daily size figures ${fmt(wall.measure / 1000)} s), ${fmt((performance.now() - runStarted) / 60_000, 1)} min for the whole section.
Written: ${fmt(totalWindows)} simulated windows, ${fmt(uses)} uses, ${fmt(recordsCommitted)} usage records committed (rows upserted; a record written early for a quiet key and again at its window end counts twice); retention released ${
    Object.entries(counts.released)
      .map(([table, n]) => `${fmt(n)} ${table}`)
      .join(', ') || 'nothing'
  }. Chained log: ${fmt(events)} events (${fmt(twinEvents)} without usage; the books' closings and retention records make the difference), closed through ${closedThrough === null ? 'never' : new Date(closedThrough).toISOString()}.

| metric | with usage | same keys and lifecycle, no usage | ratio | target |
|---|---|---|---|---|
| database on disk at the end (file + WAL after checkpoint, MB) | ${mb(finalBytes.file + finalBytes.wal)} | ${mb(twinBytes.file + twinBytes.wal, 2)} | ${fmt((finalBytes.file + finalBytes.wal) / (twinBytes.file + twinBytes.wal))}× | < 1,000 MB, levels off |
| largest end-of-day size (MB) · growth per day once retention applies (day 3 to the end, MB/day) | ${mb(peak)} · ${days.length > 3 ? mb((last!.bytes - days[2]!.bytes) / (days.length - 3), 1) : '–'} |  |  |  |
| rebuildProjections (ms) | ${ms(withUsage.rebuild.ms)} | ${ms(without.rebuild.ms)} | ${fmt(withUsage.rebuild.ms / without.rebuild.ms, 2)}× |  |
| verify: checkLogIntegrity + checkUsageBooks (ms) | ${ms(withUsage.chain.ms + withUsage.usageBooks.ms)} (chain ${ms(withUsage.chain.ms)}, usage ${ms(withUsage.usageBooks.ms)}: ${fmt(withUsage.usageBooks.result.checkedRows)} rows of ${fmt(withUsage.usageBooks.result.closings)} closings) | ${ms(without.chain.ms + without.usageBooks.ms)} | ${fmt((withUsage.chain.ms + withUsage.usageBooks.ms) / (without.chain.ms + without.usageBooks.ms), 1)}× |  |

| analytics at the end, ${REQUESTS} sequential requests after 20 warm-up | server p50 / p99 / max (ms) | the query alone, in process: p50 / p99 (ms) | target |
|---|---|---|---|
| (a) \`apiKey.usage\` of one key, 30 days by HOUR (${hourPoints} points: start, total) | ${ms(keyHttp.p50)} / ${ms(keyHttp.p99)} / ${ms(keyHttp.max)} | ${ms(keyQuery.p50)} / ${ms(keyQuery.p99)} (\`usageSeries\`) | p99 < 50 ms |
| (b) \`project.usage\` of the ${fmt(KEYS)}-key project, 30 days by DAY (${dayPoints} points, with byCode) | ${ms(projectHttp.p50)} / ${ms(projectHttp.p99)} / ${ms(projectHttp.max)} | ${ms(projectQuery.p50)} / ${ms(projectQuery.p99)} (\`usageSeries\`) | p99 < 50 ms |
| \`readBooksState\`, which each request with usage fields runs once |  | ${ms(booksRead.p50)} / ${ms(booksRead.p99)} |  |

${checks.length === 0 ? `Checks: api_keys.usage_count sums to the ${fmt(uses)} uses recorded, before and after the rebuild; the chain and the usage books verify.` : `Checks FAILED: ${checks.join('; ')}.`}

| end of simulated day | database MB (file + WAL after checkpoint) | of which free-list MB | WAL before checkpoint (MB) | usage_windows rows | usage_key_hours rows | wall s |
|---|---|---|---|---|---|---|
${dayTable}
`;
}
