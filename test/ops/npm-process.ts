import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

export const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export interface Spawned {
  child: ChildProcess;
  /** stdout and stderr as they arrived, interleaved. */
  output(): string;
  stdout(): string;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A real process (npm, node…) with both streams collected. */
export function spawnCollecting(command: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }): Spawned {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let all = '';
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => {
    out += chunk;
    all += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    err += chunk;
    all += chunk;
  });
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return { child, output: () => all, stdout: () => out, stderr: () => err, exit };
}

/**
 * The GraphQL URL the server announces: a `GraphQL endpoint: <url>` line on either
 * stream, or the JSON log line "API key service listening" with its url field.
 */
export function announcedUrl(output: string): string | undefined {
  const plain = /GraphQL endpoint: (\S+)/.exec(output)?.[1];
  if (plain) return plain;
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'API key service listening' && entry.url) return entry.url;
    } catch {}
  }
  return undefined;
}

export async function waitForUrl(spawned: Spawned, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = announcedUrl(spawned.output());
    if (url) return url;
    if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) throw new Error(`exited before announcing its URL: ${spawned.output()}`);
    if (Date.now() > deadline) throw new Error(`no URL within ${timeoutMs} ms: ${spawned.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  args: string;
}

/** Every process below pid (children, grandchildren…), as ps sees them now. */
export function descendants(pid: number): ProcessInfo[] {
  const all = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, child, parent, args] = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)!;
      return { pid: Number(child), ppid: Number(parent), args: args! };
    });
  const found: ProcessInfo[] = [];
  const visit = (parent: number) => {
    for (const entry of all.filter((candidate) => candidate.ppid === parent)) {
      found.push(entry);
      visit(entry.pid);
    }
  };
  visit(pid);
  return found;
}

/** Running (a zombie waiting to be reaped counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Ends what a test started (npm and everything under it, as found now, plus pids seen
 * earlier), should an assertion have failed or the test timed out before they stopped.
 */
export function killLeftovers(spawned: Spawned | undefined, seen: number[] = []): void {
  const pids = [...seen];
  if (spawned?.child.pid && isRunning(spawned.child.pid)) pids.push(spawned.child.pid, ...descendants(spawned.child.pid).map(({ pid }) => pid));
  for (const pid of pids) {
    if (!isRunning(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}
