import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from '../support/test-server';
import { asUnprivileged } from '../support/unprivileged';
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

  // PIDs repeat in a fresh container: after a first-start build was killed, the restarted
  // process may find the dead builder's pid alive in another process, or get it itself.
  it('takes over a lock not refreshed for minutes, though a live process has its pid', async () => {
    const lock = join(project, 'dist', '.build.lock');
    const longAgo = Date.now() - 10 * 60_000;
    writeFileSync(lock, `${process.pid} ${longAgo} 0123456789abcdef\n`);
    utimesSync(lock, new Date(longAgo), new Date(longAgo));
    appendFileSync(join(project, 'src', 'cli', 'hello.ts'), '// changed again\n');
    const result = await run('cli/hello');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Building dist/');
    expect(existsSync(lock)).toBe(false);
  }, 30_000);

  it('takes over a fresh lock that holds its own pid (the dead builder had it)', async () => {
    const lock = join(project, 'dist', '.build.lock');
    appendFileSync(join(project, 'src', 'cli', 'hello.ts'), '// changed once more\n');
    const script = `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(lock)}, process.pid + ' ' + Date.now() + ' 0123456789abcdef\\n');
const { ensureBuilt } = await import(${JSON.stringify(pathToFileURL(join(project, 'scripts', 'build.mjs')).href)});
console.log('built: ' + (await ensureBuilt(${JSON.stringify(project)})));`;
    const spawned = spawnCollecting(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env: process.env });
    running.push(spawned);
    expect(await spawned.exit).toEqual({ code: 0, signal: null });
    expect(spawned.stdout()).toBe('built: true\n');
    expect(spawned.stderr()).toContain('Building dist/ (the sources changed since dist/ was built)');
    expect(existsSync(lock)).toBe(false);
  }, 30_000);

  it('judges another host’s lock by its refreshes alone: replicas sharing an app folder have the same pids', async () => {
    const script = `import { hostname } from 'node:os';
const { lockIsAbandoned } = await import(${JSON.stringify(pathToFileURL(join(project, 'scripts', 'build.mjs')).href)});
const now = Date.now();
const lock = (host, at) => ({ pid: process.pid, startedAt: at, host, mtimeMs: at });
console.log(JSON.stringify({
  otherHostFresh: lockIsAbandoned(lock('another-replica', now)),
  otherHostSilent: lockIsAbandoned(lock('another-replica', now - 120_000)),
  thisHostFresh: lockIsAbandoned(lock(hostname(), now)),
}));`;
    const spawned = spawnCollecting(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env: process.env });
    running.push(spawned);
    expect(await spawned.exit).toEqual({ code: 0, signal: null });
    expect(JSON.parse(spawned.stdout())).toEqual({ otherHostFresh: false, otherHostSilent: true, thisHostFresh: true });
  }, 30_000);

  it('a build stopped by SIGTERM leaves no lock behind', async () => {
    const lock = join(project, 'dist', '.build.lock');
    appendFileSync(join(project, 'src', 'cli', 'hello.ts'), '// changed before a stop\n');
    // The signal arrives while the build holds the lock (a build takes a fraction of a second: too quick to aim at from outside).
    const script = `const { build } = await import(${JSON.stringify(pathToFileURL(join(project, 'scripts', 'build.mjs')).href)});
await build(${JSON.stringify(project)}, { reason: 'test', log: (line) => { console.error(line); if (line.startsWith('Building')) process.kill(process.pid, 'SIGTERM'); } });
console.log('not stopped');`;
    const spawned = spawnCollecting(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env: process.env });
    running.push(spawned);
    expect(await spawned.exit).toEqual({ code: 143, signal: null });
    expect(spawned.stderr()).toContain('Building dist/ (test)');
    expect(spawned.stdout()).toBe('');
    expect(existsSync(lock)).toBe(false);
    // The next start builds as usual.
    const result = await run('cli/hello');
    expect(result.code, result.stderr).toBe(0);
  }, 30_000);

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

// The console is built with the server, but must never keep it from starting: an operation
// the API no longer has (a field renamed in the schema) leaves the service, its CLIs and its
// API running, without the console; `npm run build` fails, naming the operation.
describe('a copy of the project whose console does not build', () => {
  const OPERATION = 'console/src/api/operations/viewer.graphql';
  let base: string;
  let project: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'apikeys-console-broken-'));
    project = join(base, 'project');
    for (const entry of ['src', 'events', 'projections', 'scripts', 'console', 'schema.graphql', 'package.json', 'package-lock.json', 'tsconfig.json'])
      cpSync(join(REPO, entry), join(project, entry), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(project, 'node_modules'));
    const operation = join(project, OPERATION);
    const source = readFileSync(operation, 'utf8');
    const broken = source.replace(/^(\s*)subject$/m, '$1subject\n$1noSuchField');
    expect(broken).not.toBe(source);
    writeFileSync(operation, broken);
  });
  const running: Spawned[] = [];
  afterEach(() => {
    for (const spawned of running.splice(0)) killLeftovers(spawned);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const spawnIn = (args: string[], env: Record<string, string> = {}) => {
    const spawned = spawnCollecting(process.execPath, args, { cwd: project, env: { ...process.env, AUTH_JWT_SECRET: TEST_JWT_SECRET, ...env } });
    running.push(spawned);
    return spawned;
  };
  const finished = async (spawned: Spawned) => ({ ...(await spawned.exit), stdout: spawned.stdout(), stderr: spawned.stderr() });

  it('a CLI and the server still build and run, saying once that the console was not built', async () => {
    const cli = await finished(spawnIn([join(project, 'scripts', 'run.mjs'), 'cli/token', '--sub', 'alice', '--project', 'proj_1', '--perms', 'keys:read']));
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const said = cli.stderr.split('\n').filter((line) => line.startsWith('The API Keys console was not built'));
    expect(said, cli.stderr).toHaveLength(1);
    expect(said[0]).toContain(OPERATION);
    expect(existsSync(join(project, 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(project, 'dist', 'console'))).toBe(false);

    // dist/ is up to date now: the server starts at once, serves the API, and / says the console is not built.
    const server = spawnIn([join(project, 'scripts', 'run.mjs'), 'main'], { PORT: '0', DATABASE_URL: join(base, 'apikeys.db'), LOG_LEVEL: 'warn' });
    const url = await waitForUrl(server, 30_000);
    expect(server.stderr()).not.toContain('Building');
    expect((await fetch(new URL('/health', url))).status).toBe(200);
    const page = await fetch(new URL('/', url));
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('npm run build');
    server.child.kill('SIGTERM');
    expect(await server.exit).toEqual({ code: 0, signal: null });
  });

  it('`node scripts/build.mjs` fails, naming the operation', async () => {
    const build = await finished(spawnIn([join(project, 'scripts', 'build.mjs')]));
    expect(build.code).not.toBe(0);
    expect(build.stderr).toContain(`${OPERATION}:`);
    expect(build.stderr).toContain('noSuchField');
    // What the failed build left: the dist/ the test above built, whole.
    expect(existsSync(join(project, 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(project, 'dist', '.build.lock'))).toBe(false);
  });
});

/** Runs a command as a user who cannot write the project: `nobody` when the tests run as root (chmod does not stop root). */
const unprivileged = asUnprivileged();
if (!unprivileged) console.warn('cli-start: running as root without a working setpriv: the read-only install tests are skipped');

/** chmod of every file and folder below dir, never through a symbolic link (node_modules links to the repository's). */
function setWritable(dir: string, writable: boolean) {
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    chmodSync(path, writable ? stat.mode | 0o200 : stat.mode & ~0o222);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
}

describe.skipIf(!unprivileged)('a read-only install', () => {
  let base: string;
  let project: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'apikeys-readonly-'));
    chmodSync(base, 0o755); // mkdtemp makes it 0700: nobody could not even enter it
    project = join(base, 'project');
    for (const entry of ['src', 'events', 'projections', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json'])
      cpSync(join(REPO, entry), join(project, entry), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(project, 'node_modules'));
    project = realpathSync(project);
  });
  const running: Spawned[] = [];
  afterEach(() => {
    for (const spawned of running.splice(0)) killLeftovers(spawned);
    setWritable(project, true);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const run = (entry: string, args: string[], { readOnly }: { readOnly: boolean }) => {
    if (readOnly) setWritable(project, false);
    const [command, argv] = readOnly
      ? unprivileged!(process.execPath, [join(project, 'scripts', 'run.mjs'), entry, ...args])
      : [process.execPath, [join(project, 'scripts', 'run.mjs'), entry, ...args]];
    const spawned = spawnCollecting(command, argv, { cwd: project, env: { ...process.env, AUTH_JWT_SECRET: TEST_JWT_SECRET } });
    running.push(spawned);
    return spawned.exit.then((exit) => ({ ...exit, stdout: spawned.stdout(), stderr: spawned.stderr() }));
  };
  const token = ['--sub', 'alice', '--project', 'proj_1', '--perms', 'keys:read'];
  const advice = 'is not writable: run npm run build when you build the image (or install)';

  it('without dist/: one line saying why a build was needed and what to do, exit 1', async () => {
    const result = await run('cli/token', token, { readOnly: true });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(`Could not build dist/: it is missing or stale (dist/ has not been built yet) and ${project} ${advice}\n`);
    expect(existsSync(join(project, 'dist'))).toBe(false);
  });

  it('with a stale dist/: the same line, naming the change and dist/', async () => {
    expect((await run('cli/token', token, { readOnly: false })).code).toBe(0);
    appendFileSync(join(project, 'src', 'main.ts'), '// changed\n');
    const result = await run('cli/token', token, { readOnly: true });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(`Could not build dist/: it is missing or stale (the sources changed since dist/ was built) and ${join(project, 'dist')} ${advice}\n`);
  });

  it('an image shipping dist/ and src/ but not tsconfig.json nor events/ runs dist/ as built', async () => {
    expect((await run('cli/token', token, { readOnly: false })).code).toBe(0);
    renameSync(join(project, 'tsconfig.json'), join(base, 'tsconfig.json'));
    renameSync(join(project, 'events'), join(base, 'events'));
    try {
      const result = await run('cli/token', token, { readOnly: true });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      expect(result.stderr).toBe('Running dist/ as built: events, tsconfig.json are missing here, so these sources cannot rebuild it.\n');
    } finally {
      setWritable(project, true);
      renameSync(join(base, 'tsconfig.json'), join(project, 'tsconfig.json'));
      renameSync(join(base, 'events'), join(project, 'events'));
    }
  });
});
