// What the bench sections share: starting and stopping the real server in a
// process of its own, formatting, the machine line, and SQLite size figures.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import Database from 'better-sqlite3';

export const JWT_SECRET = 'bench-secret-of-at-least-thirty-two-characters';

export const log = (line: string) => console.error(`[bench] ${line}`);

/** Resolves with the first group of `pattern` once it shows in the child's stdout (or, when asked, stderr). */
export function waitForLine(child: ChildProcess, pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    child[stream]!.on('data', (chunk) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before ready: ${output}`)));
  });
}

/** The real server (src/main.ts) on a database, in a process of its own; resolves with its GraphQL URL. */
export async function startServiceOn(databaseUrl: string, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // stdout is the JSON log (read on, so the pipe never fills); the endpoint line is on stderr, passed through.
  child.stdout!.resume();
  child.stderr!.on('data', (chunk) => process.stderr.write(chunk));
  return { url: await waitForLine(child, /^GraphQL endpoint: (\S+)$/m, 'stderr'), child };
}

/** SIGTERM, as an operator stops it: in-flight requests finish and buffered usage is written first. */
export async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const pct = (a: number, b: number) => `${fmt((100 * a) / b, 1)} %`;
export const mb = (bytes: number, digits = 1) => fmt(bytes / 1e6, digits);

export function machineLine(withMemory = true): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${withMemory ? `${fmt(totalmem() / 2 ** 30)} GiB, ` : ''}Node ${process.version}, ${process.platform}`;
}

/** The bytes a SQLite file's data occupies: (page_count − freelist_count) × page_size, after folding the WAL in. */
export function sqliteUsedBytes(file: string): number {
  const sqlite = new Database(file);
  try {
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const pages = sqlite.pragma('page_count', { simple: true }) as number;
    const free = sqlite.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * (sqlite.pragma('page_size', { simple: true }) as number);
  } finally {
    sqlite.close();
  }
}

/** A SQLite database's file and write-ahead log on disk, in bytes. */
export function sqliteFileBytes(file: string): { file: number; wal: number } {
  const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
  return { file: size(file), wal: size(`${file}-wal`) };
}

/** Puts a section (from its "## title" line to the next "## ") into results.md: in place if there, else at the end. */
export function writeSection(title: string, section: string): void {
  const path = new URL('./results.md', import.meta.url);
  const previous = readFileSync(path, 'utf8');
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`\\n## ${escaped}\\n[\\s\\S]*?(?=\\n## |$)`);
  const body = `\n${section.trimEnd()}\n`;
  writeFileSync(path, pattern.test(previous) ? previous.replace(pattern, body) : `${previous.trimEnd()}\n\n${section.trimEnd()}\n`);
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** What one run of the load generator measured (bench/load-generator.ts). */
export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  errors: number;
  non2xx: number;
  /** Epoch ms the load began and ended (in the load generator's process). */
  startedAt: number;
  endedAt: number;
}
