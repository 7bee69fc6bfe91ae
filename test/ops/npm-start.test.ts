import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from '../support/test-server';
import { acceptsConnections, descendants, isRunning, killLeftovers, REPO, spawnCollecting, waitForUrl } from './npm-process';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('`npm start`, as a container runtime or process manager runs it', () => {
  it('runs the built server as the one process under npm, and SIGTERM to npm stops it cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apikeys-npm-start-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const npm = spawnCollecting('npm', ['start'], {
      cwd: REPO,
      env: { ...process.env, PORT: '0', DATABASE_URL: join(dir, 'apikeys.db'), AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info' },
    });
    const seen = new Set<number>();
    cleanups.push(() => killLeftovers(npm, [...seen]));

    // Generous: the first start after a source change builds dist/ first.
    const url = await waitForUrl(npm, 45_000);
    const health = await fetch(new URL('/health', url));
    expect(health.status).toBe(200);

    const tree = descendants(npm.child.pid!);
    for (const { pid } of tree) seen.add(pid);
    // npm → node, nothing in between (no shell, no tsx): npm's signal reaches the server.
    // Soft, so that a wrong tree also shows what the signal then does.
    expect.soft(tree.map(({ args }) => args)).toEqual([expect.stringMatching(/^node .*scripts\/run\.mjs main$/)]);
    expect.soft(tree.some(({ args }) => args.includes('tsx'))).toBe(false);

    const port = Number(new URL(url).port);
    npm.child.kill('SIGTERM');
    const exit = await Promise.race([npm.exit, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    await new Promise((resolve) => setTimeout(resolve, 200)); // time for an orphan to show, if there were one
    expect.soft(exit).toEqual({ code: 0, signal: null });
    expect.soft(npm.output()).toMatch(/"msg":"stopping"/);
    expect.soft(await acceptsConnections(port)).toBe(false);
    expect([...seen].filter(isRunning).map((pid) => tree.find((entry) => entry.pid === pid)?.args)).toEqual([]);
  });
});
