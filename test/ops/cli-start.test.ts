import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from '../support/test-server';
import { descendants, isRunning, killLeftovers, REPO, type Spawned, spawnCollecting, waitForUrl } from './npm-process';

describe('`npm run token`', () => {
  it('prints a token, from the built CLI (no tsx), and nothing else on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apikeys-cli-'));
    try {
      // Preloaded into every node process of the run (npm's too): records what each one runs.
      const probe = join(dir, 'probe.cjs');
      const record = join(dir, 'processes.log');
      writeFileSync(
        probe,
        `const { appendFileSync } = require('node:fs');\nappendFileSync(${JSON.stringify(record)}, 'start ' + process.argv.slice(1).join(' ') + '\\n');\nprocess.on('exit', () => appendFileSync(${JSON.stringify(record)}, 'exit ' + process.argv[1] + '\\n'));\n`,
      );
      const token = execFileSync('npm', ['run', '-s', 'token', '--', '--sub', 'alice', '--project', 'proj_1', '--perms', 'keys:read'], {
        cwd: REPO,
        env: { ...process.env, AUTH_JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: join(dir, 'apikeys.db'), NODE_OPTIONS: `--require ${probe}` },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const { payload } = await jwtVerify(token.trim(), new TextEncoder().encode(TEST_JWT_SECRET));
      expect(payload).toMatchObject({ sub: 'alice', perms: { proj_1: ['keys:read'] } });

      const processes = readFileSync(record, 'utf8');
      expect(processes).toMatch(/^start \S*scripts\/run\.mjs cli\/token --sub alice/m);
      expect(processes).toContain(`exit ${join(REPO, 'dist', 'cli', 'token.js')}\n`);
      expect(processes).not.toContain('tsx');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// On a copy of the project (sources, scripts, package.json; node_modules linked), so that
// changing sources and rebuilding never disturbs the repository's dist/, which tests
// running in parallel start from.
describe('dist/ in a copy of the project', () => {
  let base: string;
  let project: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'apikeys-build-'));
    project = join(base, 'project');
    for (const entry of ['src', 'events', 'projections', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json'])
      cpSync(join(REPO, entry), join(project, entry), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(project, 'node_modules'));
  });
  // Runs even when a test timed out, while its processes may still be starting.
  let stopLeftovers = () => {};
  const running: Spawned[] = [];
  afterEach(() => {
    stopLeftovers();
    for (const spawned of running.splice(0)) killLeftovers(spawned);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const run = (entry: string, args: string[] = []) => {
    const spawned = spawnCollecting(process.execPath, [join(project, 'scripts', 'run.mjs'), entry, ...args], {
      cwd: project,
      env: { ...process.env, AUTH_JWT_SECRET: TEST_JWT_SECRET },
    });
    running.push(spawned);
    return spawned.exit.then((exit) => ({ ...exit, stdout: spawned.stdout(), stderr: spawned.stderr() }));
  };

  it('is built on first use; `npm run schema` then writes schema.graphql into the project, not above it', async () => {
    const first = await run('cli/print-schema');
    expect(first.stderr).toContain('Building dist/ (dist/ has not been built yet)');
    expect(first.code).toBe(0);
    expect(readFileSync(join(project, 'schema.graphql'), 'utf8')).toContain('type Mutation');
    expect(existsSync(join(base, 'schema.graphql'))).toBe(false);

    // Up to date: no build. Touching a file without changing it changes nothing either.
    const touched = join(project, 'src', 'main.ts');
    utimesSync(touched, new Date(), new Date());
    const second = await run('cli/print-schema');
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('Building');
  });

  it('is rebuilt when a source changes, including a CLI added since; concurrent starts build once', async () => {
    writeFileSync(
      join(project, 'src', 'cli', 'hello.ts'),
      "import { PERMISSIONS } from '../auth/principal';\nconsole.log('hello from ' + import.meta.url + ' (' + PERMISSIONS.length + ' permissions)');\n",
    );
    const runs = await Promise.all([run('cli/hello'), run('cli/hello'), run('cli/hello')]);
    for (const result of runs) {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^hello from file:\/\/\S+\/project\/dist\/cli\/hello\.js \(\d+ permissions\)\n$/);
    }
    expect(
      runs
        .map(({ stderr }) => stderr)
        .join('')
        .match(/Building dist\//g),
    ).toEqual(['Building dist/']);
    expect(runs[0]!.stderr + runs[1]!.stderr + runs[2]!.stderr).toContain('the sources changed since dist/ was built');
  });

  it('takes over the lock of a build that died midway', async () => {
    const dead = spawnCollecting(process.execPath, ['-e', ''], { cwd: project, env: process.env });
    await dead.exit;
    writeFileSync(join(project, 'dist', '.build.lock'), String(dead.child.pid));
    appendFileSync(join(project, 'src', 'cli', 'hello.ts'), '// changed\n');
    const result = await run('cli/hello');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Building dist/');
    expect(existsSync(join(project, 'dist', '.build.lock'))).toBe(false);
  });

  it('`npm start` rebuilds after a source change, then serves', async () => {
    appendFileSync(join(project, 'src', 'main.ts'), '// changed\n');
    const npm = spawnCollecting('npm', ['start'], {
      cwd: project,
      env: { ...process.env, PORT: '0', DATABASE_URL: join(base, 'apikeys.db'), AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info' },
    });
    let tree: number[] = [];
    stopLeftovers = () => killLeftovers(npm, tree);
    const url = await waitForUrl(npm, 45_000);
    tree = descendants(npm.child.pid!).map(({ pid }) => pid);
    expect(npm.stderr()).toContain('Building dist/ (the sources changed since dist/ was built)');
    expect((await fetch(new URL('/health', url))).status).toBe(200);
    npm.child.kill('SIGTERM');
    expect(await npm.exit).toEqual({ code: 0, signal: null });
    expect(tree.filter(isRunning)).toEqual([]);
  });
});
