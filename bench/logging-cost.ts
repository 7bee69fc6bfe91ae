// What the access log costs the verify fast path: the real server at LOG_LEVEL=warn
// (no request lines, as every other bench section runs it) against LOG_LEVEL=info
// (one JSON line per request), its stdout written to a file as a process manager
// would, in alternating rounds beside the floor server; and what one /metrics scrape
// costs an idle server. Run by bench/run.ts, or alone: BENCH_ONLY=logging npm run bench.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { PERMISSIONS } from '../src/auth/principal';
import { signToken } from '../src/auth/sign-token';
import { generateApiKey } from '../src/commands/api-key-commands';
import { openDatabase } from '../src/store/database';
import { fmt, JWT_SECRET, type LoadResult, log, machineLine, pct, stop, waitForLine } from './bench-process';

export const LOGGING_SECTION_TITLE = 'Access log and /metrics cost';

/** The part of the load result this section reads. */
type LoadFigures = Omit<LoadResult, 'startedAt' | 'endedAt'>;

type Load = (url: string, bodies: string[], options?: { connections?: number; seconds?: number; token?: string }) => Promise<LoadFigures>;

type Level = 'warn' | 'info';

interface Run extends LoadFigures {
  /** Requests sent by the load generator, warm-up included. */
  requests: number;
  /** Bytes the service wrote to stdout, start to stop. */
  logBytes: number;
  /** Lines of the log that are request lines, and how many of them the fast path answered. */
  requestLines: number;
  fastPathLines: number;
}

const SCRAPES = 20;

/** The real server with its stdout (the pino log) written to `logFile`, as a process manager writing to a file would; stderr read for the endpoint. */
async function startLogged(databaseUrl: string, level: Level, logFile: string): Promise<{ url: string; child: ChildProcess }> {
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: JWT_SECRET, LOG_LEVEL: level, METRICS_TOKEN: '' },
    stdio: ['ignore', out, 'pipe'],
  });
  closeSync(out); // the child holds its own descriptor
  child.stderr!.on('data', (chunk) => process.stderr.write(chunk));
  return { url: await waitForLine(child, /^GraphQL endpoint: (\S+)$/m, 'stderr'), child };
}

async function startFloor(databaseFile: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/floor-server.ts', databaseFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { url: `http://127.0.0.1:${await waitForLine(child, /PORT=(\d+)/)}/graphql`, child };
}

/** Request lines of a log file, and those the fast path answered. */
function requestLines(logFile: string): { lines: number; fastPath: number } {
  let lines = 0;
  let fastPath = 0;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"msg":"request"')) continue;
    lines++;
    if (line.includes('"fastPath":true')) fastPath++;
  }
  return { lines, fastPath };
}

/** Sum of a Prometheus sample over the series whose labels include `label`. */
function sample(exposition: string, name: string, label: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) if (line.startsWith(`${name}{`) && line.includes(label)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** A digest of the service's source: every server this section starts compiles src/ afresh, so a change during the run mixes versions. */
function sourceDigest(): string {
  const hash = createHash('sha256');
  for (const entry of readdirSync('src', { recursive: true, withFileTypes: true }).sort((a, b) => join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)))) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    hash.update(path).update(readFileSync(path));
  }
  return hash.digest('hex').slice(0, 12);
}

export async function loggingCost(work: string, options: { rounds: number; seconds: number; load: Load }): Promise<string> {
  const { rounds, seconds, load } = options;
  const loadAtStart = loadavg();
  const sourceAtStart = sourceDigest();
  const file = join(work, 'logging.db');
  log('access log cost: seeding 100 keys to verify');
  const db = await openDatabase(file);
  const secrets: string[] = [];
  const context = {
    db,
    now: () => new Date(),
    metadata: { actor: 'bench-seed', requestId: 'seed', causationId: 'seed', correlationId: 'seed', clientAddress: null, userAgent: null },
  };
  for (let i = 0; i < 100; i++) secrets.push((await generateApiKey(context, { projectId: 'bench', name: `verify ${i}`, environment: 'live' })).secret);
  await db.destroy();
  const bodies = secrets.map((secret) => JSON.stringify({ query: 'mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code } }', variables: { secret } }));
  const token = await signToken(JWT_SECRET, { sub: 'bench', perms: { '*': [...PERMISSIONS] }, expiresIn: 3600 });

  const problems: string[] = [];
  const checked = (label: string, result: LoadFigures) => {
    if (result.errors || result.non2xx) problems.push(`${label}: ${result.errors} errors, ${result.non2xx} non-2xx of ${result.total}`);
    return result;
  };
  /** The verification rounds' load: a 2 s warm-up, then `seconds` measured, 50 connections. */
  const measure = async (label: string, url: string, auth?: string) => {
    const warmUp = checked(`${label} warm-up`, await load(url, bodies, { token: auth, seconds: 2 }));
    const measured = checked(label, await load(url, bodies, { token: auth, seconds }));
    return { measured, requests: warmUp.total + measured.total };
  };

  const runs: { floor: LoadFigures[]; warn: Run[]; info: Run[] } = { floor: [], warn: [], info: [] };
  const orders: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Floor first, then warn and info in turn: neither level always runs right after the floor.
    const levels: Level[] = round % 2 ? ['warn', 'info'] : ['info', 'warn'];
    orders.push(levels.join(', '));
    log(`access log round ${round}/${rounds}: floor, ${levels.join(', ')}`);
    const floor = await startFloor(file);
    runs.floor.push((await measure(`round ${round} floor`, floor.url)).measured);
    await stop(floor.child);
    for (const level of levels) {
      const logFile = join(work, `service-${level}-${round}.log`);
      const service = await startLogged(file, level, logFile);
      const { measured, requests } = await measure(`round ${round} ${level}`, service.url, token);
      await stop(service.child);
      const lines = requestLines(logFile);
      runs[level].push({ ...measured, requests, logBytes: statSync(logFile).size, requestLines: lines.lines, fastPathLines: lines.fastPath });
    }
  }

  // One /metrics scrape on an idle server that has served verifications (so its series carry values), at the default LOG_LEVEL.
  log(`/metrics: ${SCRAPES} scrapes of an idle server`);
  const service = await startLogged(file, 'info', join(work, 'service-metrics.log'));
  await load(service.url, bodies, { token, seconds: 2 });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const metricsUrl = service.url.replace(/\/graphql$/, '/metrics');
  const scrape = async () => {
    const started = performance.now();
    const response = await fetch(metricsUrl);
    const body = Buffer.from(await response.arrayBuffer());
    const ms = performance.now() - started;
    if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${body.toString()}`);
    return { ms, body, encoding: response.headers.get('content-encoding') };
  };
  const first = await scrape();
  const times: number[] = [];
  let last = first;
  const before = await scrape(); // the server's histogram, from here to `after`, covers this scrape and the timed ones
  for (let i = 0; i < SCRAPES; i++) {
    last = await scrape();
    times.push(last.ms);
  }
  const after = await scrape();
  await stop(service.child);
  times.sort((a, b) => a - b);
  const durationSum = 'apikeys_http_request_duration_seconds_sum';
  const durationCount = 'apikeys_http_request_duration_seconds_count';
  const route = 'route="/metrics"';
  const serverText = [before.body.toString(), after.body.toString()];
  const serverScrapes = sample(serverText[1]!, durationCount, route) - sample(serverText[0]!, durationCount, route);
  const serverMs = ((sample(serverText[1]!, durationSum, route) - sample(serverText[0]!, durationSum, route)) * 1000) / serverScrapes;
  const exposition = last.body.toString();
  const seriesLines = exposition.split('\n').filter((line) => line && !line.startsWith('#')).length;

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const of = <T>(list: T[], pick: (run: T) => number) => median(list.map(pick));
  const rps = { floor: of(runs.floor, (r) => r.requestsPerSecond), warn: of(runs.warn, (r) => r.requestsPerSecond), info: of(runs.info, (r) => r.requestsPerSecond) };
  const latency = (list: LoadFigures[]) => `${of(list, (r) => r.p50)} / ${of(list, (r) => r.p99)}`;
  const perRound = runs.info.map((info, i) => info.requestsPerSecond / runs.warn[i]!.requestsPerSecond);
  const bytesPerRequest = (run: Run) => run.logBytes / run.requests;
  const perLine = (run: Run) => run.logBytes / Math.max(1, run.requestLines);
  const loadAtEnd = loadavg();
  const sourceAtEnd = sourceDigest();
  const la = (values: number[]) => values.map((v) => fmt(v, 2)).join(' / ');
  const roundsLine = (label: string, list: LoadFigures[]) => `${label}: ${list.map((r) => `${fmt(r.requestsPerSecond)} (${r.p50} / ${r.p99})`).join(' · ')}`;
  const infoRequests = runs.info.reduce((n, r) => n + r.requests, 0);
  const infoLines = runs.info.reduce((n, r) => n + r.requestLines, 0);
  const infoFast = runs.info.reduce((n, r) => n + r.fastPathLines, 0);

  const table = [
    '| metric | LOG_LEVEL=warn | LOG_LEVEL=info (access log) | info / warn | floor |',
    '|---|---|---|---|---|',
    `| verifyApiKey req/s, fast path, median of ${rounds} | ${fmt(rps.warn)} | ${fmt(rps.info)} | ${pct(rps.info, rps.warn)} | ${fmt(rps.floor)} (warn ${pct(rps.warn, rps.floor)}, info ${pct(rps.info, rps.floor)}) |`,
    `| info / warn within each round (median of ${rounds} ratios) |  |  | ${fmt(100 * median(perRound), 1)} % (${perRound.map((r) => fmt(100 * r, 1)).join(' / ')}) |  |`,
    `| verifyApiKey p50 / p99 latency (ms, medians) | ${latency(runs.warn)} | ${latency(runs.info)} |  | ${latency(runs.floor)} |`,
    `| log bytes per request (stdout file size ÷ requests sent, warm-up included; median) | ${fmt(of(runs.warn, bytesPerRequest), 1)} | ${fmt(of(runs.info, bytesPerRequest), 1)} |  |  |`,
    `| log bytes per request line (file size ÷ request lines in it; median) |  | ${fmt(of(runs.info, perLine), 1)} |  |  |`,
    `| log written per second of load at the info rate (MB/s) |  | ${fmt((of(runs.info, bytesPerRequest) * rps.info) / 1e6, 1)} |  |  |`,
  ].join('\n');
  const metricsTable = [
    '| /metrics, idle server (after 2 s of verification load), no METRICS_TOKEN, from 127.0.0.1 | value |',
    '|---|---|',
    `| first scrape (ms, fetch to last byte) | ${fmt(first.ms, 2)} |`,
    `| one scrape, median / max of ${SCRAPES} sequential (ms, fetch to last byte) | ${fmt(median(times), 2)} / ${fmt(times.at(-1)!, 2)} |`,
    `| the same, as the server times them: mean of the ${fmt(serverScrapes)} warm scrapes (apikeys_http_request_duration_seconds, route /metrics; ms) | ${fmt(serverMs, 2)} |`,
    `| exposition size (bytes${last.encoding ? `, decoded from ${last.encoding}` : ', uncompressed'}) · sample lines | ${fmt(last.body.length)} · ${fmt(seriesLines)} |`,
  ].join('\n');
  const notes = [
    `Rounds, req/s (p50 / p99 ms): ${roundsLine('floor', runs.floor)}; ${roundsLine('warn', runs.warn)}; ${roundsLine('info', runs.info)}. Service order after the floor, by round: ${orders.join(' | ')}.`,
    `Log files: warn ${runs.warn.map((r) => fmt(r.logBytes)).join(' / ')} bytes; info ${runs.info.map((r) => `${fmt(r.logBytes / 1e6, 1)} MB`).join(' / ')}. The info logs hold ${fmt(infoLines)} request lines for ${fmt(infoRequests)} requests the load generator counted (requests in flight when it stopped are answered and logged but not counted by it); ${pct(infoFast, infoLines)} of the lines say \`"fastPath":true\`.`,
    ...(problems.length ? problems : ['Every response was 2xx; no errors.']),
    sourceAtStart === sourceAtEnd
      ? `The service's source (src/, digest ${sourceAtStart}) did not change during the run.`
      : `**src/ changed during the run** (digest ${sourceAtStart} → ${sourceAtEnd}): servers started after the change ran other code, so these figures mix versions.`,
  ];
  return `## ${LOGGING_SECTION_TITLE}

Run: ${new Date().toISOString()} · ${machineLine()}
**Noisy machine:** shared with other work while it ran (load average 1 / 5 / 15 min: ${la(loadAtStart)} at the start, ${la(loadAtEnd)} at the end, on ${cpus().length} cores). Single rounds differ by more than the effect measured here; read the medians, and the within-round ratios beside them.
Service: the real server (\`src/main.ts\`), SQLite, a fresh file with 100 keys, usage recording on (the default); its stdout, the pino log, is a file the bench opens and hands to the child as its descriptor 1 (as a process manager writing to a file does; pino writes to it synchronously). At LOG_LEVEL=warn it writes nothing per request (the setting every other section runs with); at LOG_LEVEL=info one request line each. A journald socket or a pipe to a shipper may cost differently.
Load: as in the verification rounds of the first table: autocannon in a separate process on the same machine, 50 connections, ${seconds} s after a 2 s warm-up, cycling 100 keys with one token (every permission on \`*\`), all through the verify fast path. ${rounds} rounds, each: the floor (\`bench/floor-server.ts\`), then the service at warn and at info, a fresh process each, in alternating order; figures are medians of the rounds.

${table}

${metricsTable}

${notes.map((note) => `- ${note}`).join('\n')}
`;
}
