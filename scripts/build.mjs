// Bundles the server and every CLI into dist/ with esbuild: `npm run build`.
// Plain JavaScript on purpose: building must not need tsx (a devDependency) nor a build of itself.
// scripts/run.mjs imports ensureBuilt() from here, so `npm start` builds when dist/ is missing or stale.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { constants, hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { buildConsole, consoleSources } from './build-console.mjs';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

// Everything the bundle is made from; node_modules stays out (packages are external, loaded at run time).
// This file is listed too: a change to the build options must rebuild.
const SOURCES = [
  'src',
  'events',
  'projections',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'scripts/build.mjs',
  'scripts/build-console.mjs',
  'scripts/console-operations.mjs',
];
/** Everything this copy's dist/ is made from: the server's sources, and the console's when it has them. */
const sourcesOf = (root) => [...SOURCES, ...consoleSources(root)];
const INFO = 'build-info.json';
const LOCK = '.build.lock';
const TMP_PREFIX = '.dist-build-';
const LOCK_PATIENCE_MS = 120_000;
// A build takes a couple of seconds; its holder refreshes the lock's time every few seconds.
// A lock silent for longer than this is abandoned, whatever process now has its pid.
const LOCK_MAX_AGE_MS = 60_000;
const LOCK_HEARTBEAT_MS = 5_000;
// What an unwritable install folder answers (EPERM: some container file systems).
const NOT_WRITABLE = new Set(['EACCES', 'EROFS', 'EPERM']);

const distOf = (root) => join(root, 'dist');

/** Entry name → source: `main` and one `cli/<name>` per src/cli/*.ts present now (CLIs added later are found by the next build). */
function entryPoints(root = ROOT) {
  const entries = { main: 'src/main.ts' };
  for (const file of readdirSync(join(root, 'src', 'cli')).sort()) {
    if (file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts')) entries[`cli/${file.slice(0, -3)}`] = `src/cli/${file}`;
  }
  return entries;
}

/**
 * A hash of the path and content of every source file. Content rather than modification
 * times: a checkout or a copy into an image changes times, not what the bundle is made of.
 * Hashing the ~150 files takes a few milliseconds.
 */
function sourceFingerprint(root = ROOT) {
  const hash = createHash('sha256');
  const visit = (path) => {
    const rel = relative(root, path).split(sep).join('/');
    let stat;
    try {
      stat = statSync(path);
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
      hash.update(`${rel}\0missing\n`);
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    } else if (stat.isFile()) {
      hash.update(`${rel}\0${stat.size}\0`).update(readFileSync(path)).update('\n');
    }
  };
  for (const source of sourcesOf(root)) visit(join(root, source));
  return hash.digest('hex');
}

function readInfo(root) {
  try {
    return JSON.parse(readFileSync(join(distOf(root), INFO), 'utf8'));
  } catch {
    return null;
  }
}

/** The entry names dist/ holds now. */
export function builtEntries(root = ROOT) {
  return readInfo(root)?.entries ?? [];
}

/**
 * The inputs dist/ was built from that are not here now (an image that ships dist/ and src/
 * but not tsconfig.json, say). Such sources cannot rebuild it faithfully (a build would fail
 * on a missing import, or silently differ without tsconfig.json), so dist/ is run as built.
 * Only inputs present at build time count: a project without one of them still rebuilds on edits.
 */
function missingInputs(root = ROOT) {
  const info = readInfo(root);
  if (!Array.isArray(info?.files)) return [];
  // Builds before build-info recorded its inputs were made from all of them.
  const inputs = Array.isArray(info.inputs) ? info.inputs : SOURCES;
  return inputs.filter((input) => !existsSync(join(root, input)));
}

/** Why dist/ must be (re)built, or null when it is up to date with the sources (or they cannot rebuild it). */
function staleReason(root = ROOT) {
  const info = readInfo(root);
  if (!Array.isArray(info?.files)) return 'dist/ has not been built yet';
  // A deployment may carry dist/ without the sources: then dist/ is all there is to run.
  if (!existsSync(join(root, 'src', 'main.ts'))) return null;
  if (missingInputs(root).length > 0) return null;
  if (info.fingerprint !== sourceFingerprint(root)) return 'the sources changed since dist/ was built';
  if (info.files.some((file) => !existsSync(join(distOf(root), file)))) return 'files are missing from dist/';
  return null;
}

/** Builds dist/ unless it is up to date. Safe when several processes start at once (see build()). */
export async function ensureBuilt(root = ROOT, log = (line) => console.error(line)) {
  const reason = staleReason(root);
  if (!reason) {
    const missing = missingInputs(root);
    if (missing.length > 0 && existsSync(join(root, 'src', 'main.ts')))
      log(`Running dist/ as built: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing here, so these sources cannot rebuild it.`);
    return false;
  }
  try {
    return await build(root, { log, reason });
  } catch (error) {
    // A read-only install (an image whose dist/ was not built, or built from other sources):
    // say why a build was needed and where it belongs, not just which file could not be opened.
    if (NOT_WRITABLE.has(error.code))
      throw new Error(
        `it is missing or stale (${reason}) and ${error.path ? dirname(error.path) : root} is not writable: run npm run build when you build the image (or install)`,
        { cause: error },
      );
    throw error;
  }
}

/**
 * Builds into a temporary folder beside dist/, then moves the files into place.
 * Under a lock, and staleness is checked again once it is held: of several processes
 * starting together one builds and the others find dist/ fresh. Chunks carry a content
 * hash in their name and are moved in before the entry files that import them, and the
 * previous build's chunks are kept, so a process already loading the previous build
 * still finds every file it imports.
 */
export async function build(root = ROOT, { log = (line) => console.error(line), reason = null, force = false } = {}) {
  const dist = distOf(root);
  mkdirSync(dist, { recursive: true });
  return withLock(join(dist, LOCK), reason, async () => {
    if (!force && reason && !staleReason(root)) return false; // another process built it while we waited
    if (reason) log(`Building dist/ (${reason})…`);
    const started = performance.now();
    const fingerprint = sourceFingerprint(root);
    const entries = entryPoints(root);
    // Only this process holds the lock, so any other temporary folder is left over from a build that died.
    for (const name of readdirSync(root)) if (name.startsWith(TMP_PREFIX)) rmSync(join(root, name), { recursive: true, force: true });
    // Beside dist/, not in it: the source maps name the sources by a path relative to where they
    // are written, which must stay right once the files are moved into dist/.
    const tmp = join(root, `${TMP_PREFIX}${process.pid}`);
    // Made here rather than by esbuild: an unwritable folder then fails with Node's EACCES, which ensureBuilt() explains.
    mkdirSync(tmp);
    const esbuild = await import('esbuild'); // loaded only to build: a fresh start does not pay for it
    try {
      const result = await esbuild.build({
        absWorkingDir: root,
        entryPoints: entries,
        outdir: tmp,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        // better-sqlite3 (native) and pg, like every package, are loaded from node_modules at run time.
        packages: 'external',
        splitting: true, // code shared by the server and the CLIs is one chunk, not a copy per entry
        chunkNames: 'chunks/[name]-[hash]',
        sourcemap: 'linked',
        metafile: true,
        logLevel: 'warning',
      });
      const files = Object.keys(result.metafile.outputs).map((output) => relative(tmp, join(root, output)).split(sep).join('/'));
      const consoleFiles = await buildConsoleOrSay(esbuild, root, tmp, { log, strict: force });
      // Not built this time: the previous console (made for other sources) must not be served.
      if (consoleFiles === null) rmSync(join(dist, 'console'), { recursive: true, force: true });
      files.push(...(consoleFiles ?? []));
      // Chunks and the console's assets first, then entries and the console's page: an entry
      // is never in place before what it imports.
      const imported = (file) => file.startsWith('chunks/') || file.startsWith('console/assets/');
      const ordered = [...files].sort((a, b) => Number(!imported(a)) - Number(!imported(b)));
      for (const file of ordered) {
        mkdirSync(dirname(join(dist, file)), { recursive: true });
        renameSync(join(tmp, file), join(dist, file));
      }
      const previous = readInfo(root);
      const inputs = sourcesOf(root).filter((source) => existsSync(join(root, source)));
      const info = { fingerprint, inputs, entries: Object.keys(entries), files, builtAt: new Date().toISOString(), esbuild: esbuild.version };
      writeFileSync(join(tmp, INFO), `${JSON.stringify(info, null, 2)}\n`);
      renameSync(join(tmp, INFO), join(dist, INFO));
      prune(dist, new Set([...files, ...(previous?.files ?? [])]));
      log(`Built dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
      return true;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      // esbuild keeps a helper process running for further builds; this process will not build again.
      await esbuild.stop();
    }
  });
}

/**
 * The console, built beside the server. A console that does not build (an operation the
 * API no longer has, a broken component) must not keep the API or its CLIs (migrate, token,
 * backup) from starting: they start without it, saying why, and / answers 404 until it
 * builds. `npm run build` (strict) fails instead, and so do the tests.
 */
async function buildConsoleOrSay(esbuild, root, tmp, { log, strict }) {
  try {
    return await buildConsole(esbuild, root, tmp, { quiet: !strict });
  } catch (error) {
    if (strict) throw error;
    log(
      `The API Keys console was not built, the service starts without it (run npm run build to see the whole error): ${error.message
        .split('\n')
        .slice(0, 3)
        .map((line) => line.trim())
        .join(' ')}`,
    );
    return null;
  }
}

/** Removes files of builds before the previous one (and CLIs whose source is gone). */
function prune(dist, keep) {
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(dist, path).split(sep).join('/');
      if (rel === INFO || rel.startsWith(LOCK)) continue;
      if (entry.isDirectory()) visit(path);
      else if (!keep.has(rel)) rmSync(path, { force: true });
    }
  };
  visit(dist);
}

/**
 * An exclusive lock file: `<pid> <started at, ms> <nonce> <host name>`. Node has no flock(); O_EXCL
 * creation is atomic on local disks. The holder refreshes the file's time while it builds
 * and removes it when done, or when stopped by SIGTERM or SIGINT midway. A lock left by a
 * build that died anyway (SIGKILL, out of memory) is taken over: see lockIsAbandoned().
 */
async function withLock(file, reason, fn) {
  const waitingSince = Date.now();
  const mine = `${process.pid} ${Date.now()} ${randomBytes(8).toString('hex')} ${hostname()}\n`;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, mine);
      closeSync(fd);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const lock = readLock(file);
    if (!lock) continue; // released meanwhile
    if (lockIsAbandoned(lock)) {
      takeOverStaleLock(file, lock);
      continue;
    }
    if (Date.now() - waitingSince > LOCK_PATIENCE_MS)
      throw new Error(`another process has been building dist/ for ${LOCK_PATIENCE_MS / 1000} s (lock ${file}); if no build is running, delete that file`);
    if (!announced) console.error(`Waiting for another process building dist/${reason ? ` (${reason})` : ''}…`);
    announced = true;
    await sleep(100);
  }
  const release = () => {
    // Only our own lock: never one another process took over meanwhile.
    if (readLock(file)?.raw === mine) rmSync(file, { force: true });
  };
  const heartbeat = setInterval(() => {
    try {
      utimesSync(file, new Date(), new Date());
    } catch {}
  }, LOCK_HEARTBEAT_MS).unref();
  // Stopped midway (docker stop during a first start): leave no lock behind for the next start.
  const onSignal = (signal) => {
    release();
    process.exit(128 + constants.signals[signal]);
  };
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  try {
    return await fn();
  } finally {
    process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
    clearInterval(heartbeat);
    release();
  }
}

/** The lock as found: its text, holder pid, start time and file time; null when there is none. */
function readLock(file) {
  try {
    const raw = readFileSync(file, 'utf8');
    const mtimeMs = statSync(file).mtimeMs;
    const [pid, startedAt, , host] = raw.trim().split(/\s+/);
    return { raw, pid: Number.parseInt(pid, 10), startedAt: Number(startedAt), host: host ?? null, mtimeMs };
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    // There but unreadable: counted as held (not taken over), so a waiter waits and in the end says so.
    return { raw: null, pid: Number.NaN, startedAt: Number.NaN, host: null, mtimeMs: Date.now() };
  }
}

/**
 * Whether a lock is left over from a build that will never finish. Its pid alone cannot
 * tell: in a fresh container PIDs repeat, so after a killed first-start build the restarted
 * process may get the builder's very pid (and would wait on itself), or another live process may.
 * Hence: our own pid is never a live holder, and a lock not refreshed for LOCK_MAX_AGE_MS
 * is abandoned whoever has its pid now. Pids mean something only on the host that wrote
 * them: replicas sharing an app folder (a bind mount) often have the same pid in their own
 * namespaces, so another host's lock is judged by its refreshes alone. A restarted
 * container keeps its host name, so its own dead build's lock is still taken over at once.
 */
export function lockIsAbandoned({ pid, startedAt, host = null, mtimeMs }, now = Date.now(), thisHost = hostname()) {
  const lastSign = Math.max(Number.isFinite(startedAt) ? startedAt : 0, mtimeMs);
  if (Number.isNaN(pid)) return now - lastSign > 10_000; // created but the pid not yet written: alive unless this lasts
  if (now - lastSign > LOCK_MAX_AGE_MS) return true;
  if (host !== null && host !== thisHost) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

// Moved aside before deleting, so that of two waiters taking over the same dead lock,
// the second does not delete the lock the first has just created.
function takeOverStaleLock(file, abandoned) {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // someone else took it over
  }
  if (readLock(aside)?.raw === abandoned.raw) return unlinkSync(aside);
  try {
    linkSync(aside, file); // it was a live lock after all: put it back
  } catch {}
  unlinkSync(aside);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await build(ROOT, { force: true });
  } catch (error) {
    // esbuild has printed its errors, each with file and line; anything else (a full disk…) is said here.
    console.error(error.errors ? 'Build failed (errors above).' : `Build failed: ${error.message}`);
    process.exitCode = 1;
  }
}
