import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

// What an operator sees when the service cannot start: exactly one line on stderr,
// "Not starting: …", naming the setting or the resource at fault, exit status 1, no
// stack trace anywhere, nothing written. Each case is the real `npm start` in a
// process of its own, run from an empty folder so anything it creates shows.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'src/main.ts');
const TSX = new URL('node_modules/tsx/dist/loader.mjs', `file://${ROOT}/`).href;
const POSTGRES_URL = process.env.TEST_POSTGRES_URL;
// Settings from the environment running the tests must not leak into a case.
const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(PORT|HOST|DATABASE_URL|LOG_LEVEL|NODE_ENV|AUTH_|METRICS_|MIGRATE_|GRAPHQL_|USAGE_|INSTANCE_ID|TRUST_PROXY|CORS_|FEED_|CHANGE_|REQUEST_)/.test(name),
  ),
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the run left in its working folder. */
  created: string[];
}

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function emptyFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'apikeys-startup-'));
  folders.push(folder);
  return folder;
}

/** Runs `npm start` with `env`; if it starts after all, it is stopped once it says where it listens. */
function start(env: Record<string, string>, cwd = emptyFolder(), script = MAIN): Promise<Run> {
  const child = spawn(process.execPath, ['--import', TSX, script], { cwd, env: { ...CLEAN_ENV, PORT: '0', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (/GraphQL endpoint: /.test(stderr)) child.kill('SIGTERM');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, created: readdirSync(cwd) });
    });
  });
}

function expectRefusal(run: Run, pattern: RegExp): void {
  expect(run.stderr.split('\n').filter(Boolean), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(/^Not starting: [^\n]+\n$/);
  expect(run.stderr).toMatch(pattern);
  expect(run.stdout + run.stderr).not.toContain('    at ');
  expect(run.code).toBe(1);
}

describe('a setting with a wrong value stops the start with one line naming it', () => {
  it.each([
    ['PORT', { PORT: 'abc' }, /PORT must be/],
    ['PORT out of range', { PORT: '70000' }, /PORT must be/],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent/],
    ['HOST', { HOST: '999.1.1.1' }, /HOST must be an IP address or a host name/],
    ['a boolean', { MIGRATE_ON_START: 'maybe' }, /MIGRATE_ON_START must be true or false/],
    ['AUTH_JWKS_COOLDOWN_MS', { AUTH_JWKS_COOLDOWN_MS: 'abc' }, /AUTH_JWKS_COOLDOWN_MS must be a whole number/],
    ['NODE_ENV', { NODE_ENV: 'prod' }, /NODE_ENV must be production, development or test/],
    ['AUTH_JWT_PREVIOUS_SECRETS', { AUTH_JWT_SECRET: 'c'.repeat(40), AUTH_JWT_PREVIOUS_SECRETS: `${'p'.repeat(40)},short` }, /AUTH_JWT_PREVIOUS_SECRETS must be/],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'too-short' }, /METRICS_TOKEN must be/],
  ])('%s', async (_name, env, pattern) => {
    const run = await start(env);
    expectRefusal(run, pattern);
    expect(run.created).toEqual([]);
  });

  it.each([['mysql://root:hunter2-secret@127.0.0.1/db'], ['http://example.com/apikeys.db'], ['postgres:/127.0.0.1/db'], ['postgress://postgres@127.0.0.1/db']])(
    'DATABASE_URL=%s is refused, not taken for a SQLite path, and no file is created',
    async (databaseUrl) => {
      const run = await start({ DATABASE_URL: databaseUrl });
      expectRefusal(run, /DATABASE_URL .*accepted: postgres:\/\//);
      expect(run.stderr).not.toContain('hunter2-secret');
      expect(run.created).toEqual([]);
    },
  );

  // A password with an unencoded / ? # or @ makes the URL unparsable, or parse as a port and a path.
  it.each([['postgres://app:pa/s3cretPW@db/apikeys'], ['postgres://u:123/s3cretPW@127.0.0.1/db'], ['postgresql:app:s3cretPW@db/apikeys']])(
    'DATABASE_URL=%s is refused with one line that does not show the password',
    async (databaseUrl) => {
      const run = await start({ DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: 'x'.repeat(40) });
      expectRefusal(run, /^Not starting: DATABASE_URL "postgres(ql)?:(\/\/)?(app|u):\*\*\*@/);
      expect(run.stdout + run.stderr).not.toContain('s3cretPW');
      expect(run.created).toEqual([]);
    },
  );
});

describe('a resource the start needs is not there: one line naming it', () => {
  let taken: Server | undefined;
  afterEach(() => taken?.close());

  it('a busy port names PORT and HOST', async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const folder = emptyFolder();
    const run = await start({ PORT: String(port), DATABASE_URL: join(folder, 'apikeys.db'), AUTH_JWT_SECRET: 'x'.repeat(40) }, folder);
    expectRefusal(run, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use \\(PORT=${port}, HOST=127\\.0\\.0\\.1\\)`));
  });

  it('a HOST that is not an address of this machine', async () => {
    // 192.0.2.1 is TEST-NET-1: documentation only, never assigned to a machine.
    const run = await start({ HOST: '192.0.2.1', AUTH_JWT_SECRET: 'x'.repeat(40), DATABASE_URL: 'apikeys.db' });
    expectRefusal(run, /HOST=192\.0\.2\.1 cannot be listened on: it is not an address of this machine/);
  });

  it('a HOST name that does not resolve', async () => {
    const run = await start({ HOST: 'no-such-host.invalid', AUTH_JWT_SECRET: 'x'.repeat(40), DATABASE_URL: 'apikeys.db' });
    expectRefusal(run, /HOST=no-such-host\.invalid cannot be listened on: the name does not resolve/);
  });

  it('an unreachable PostgreSQL names the URL, password masked, and the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const run = await start({ DATABASE_URL: `postgres://postgres:pw-never-printed@127.0.0.1:${port}/test`, AUTH_JWT_SECRET: 'x'.repeat(40) });
    expectRefusal(run, new RegExp(`cannot connect to the database postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/test \\(DATABASE_URL\\): connection refused`));
    expect(run.stdout + run.stderr).not.toContain('pw-never-printed');
    expect(run.created).toEqual([]);
  });

  it.each([
    ['with the development secret', {}],
    ['with AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'x'.repeat(40) }],
  ])('a data folder that cannot be created names the path (%s)', async (_name, env) => {
    const folder = emptyFolder();
    // A file where the folder should be: as good as a read-only disk, even for root.
    writeFileSync(join(folder, 'data'), 'not a folder');
    const run = await start({ DATABASE_URL: join(folder, 'data', 'apikeys.db'), ...env }, folder);
    expectRefusal(run, new RegExp(`${join(folder, 'data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*not a folder`));
    expect(run.created).toEqual(['data']);
  });
});

describe.skipIf(!POSTGRES_URL)('a PostgreSQL schema named in DATABASE_URL that does not exist yet', () => {
  const admin = () => new pg.Client({ connectionString: POSTGRES_URL });

  it('is created when migrations run on start, and the server starts; the log line masks the password', async () => {
    const schema = `s_${randomBytes(6).toString('hex')}`;
    const url = new URL(POSTGRES_URL!);
    url.password = 'pw-never-printed';
    url.searchParams.set('schema', schema);
    try {
      const run = await start({ DATABASE_URL: url.toString(), AUTH_JWT_SECRET: 'x'.repeat(40) });
      expect(run.stderr).toMatch(/GraphQL endpoint: http:\/\//);
      expect(run.code).toBe(0);
      const listening = run.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .find((entry) => entry.msg === 'API key service listening');
      expect(listening.database).toBe(url.toString().replace('pw-never-printed', '***'));
      expect(run.stdout + run.stderr).not.toContain('pw-never-printed');
      const client = admin();
      await client.connect();
      try {
        const { rows } = await client.query('select count(*)::int as tables from information_schema.tables where table_schema = $1', [schema]);
        expect(rows[0].tables).toBeGreaterThan(0);
      } finally {
        await client.end();
      }
    } finally {
      const client = admin();
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`).finally(() => client.end());
    }
  });

  it('when this user may not create it, one line says how to', async () => {
    const role = `r_${randomBytes(6).toString('hex')}`;
    const schema = `s_${randomBytes(6).toString('hex')}`;
    const client = admin();
    await client.connect();
    try {
      await client.query(`create role ${role} login`);
      const url = new URL(POSTGRES_URL!);
      url.username = role;
      url.searchParams.set('schema', schema);
      const run = await start({ DATABASE_URL: url.toString(), AUTH_JWT_SECRET: 'x'.repeat(40) });
      expectRefusal(run, new RegExp(`the schema "${schema}" .*does not exist and ${role} may not create it.*CREATE SCHEMA ${schema}`));
      const { rows } = await client.query('select count(*)::int as n from pg_namespace where nspname = $1', [schema]);
      expect(rows[0].n).toBe(0);
    } finally {
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.query(`drop role if exists ${role}`);
      await client.end();
    }
  });
});

describe('stdout is the JSON log and nothing else', () => {
  it('every stdout line of a started and stopped server (LOG_LEVEL=debug) is JSON; the endpoint and token lines are on stderr', async () => {
    const folder = emptyFolder();
    const run = await start({ LOG_LEVEL: 'debug', DATABASE_URL: join(folder, 'data', 'apikeys.db') }, folder);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(expect.arrayContaining(['API key service listening', 'stopping']));
    expect(run.stderr).toMatch(/^GraphQL endpoint: http:\/\/127\.0\.0\.1:\d+\/graphql$/m);
    expect(run.stderr).toMatch(/^TOKEN=[\w-]+\.[\w-]+\.[\w-]+$/m);
    expect(existsSync(join(folder, 'data', 'apikeys.db'))).toBe(true);
  });
});

describe('the database CLIs say the same, with the password masked', () => {
  const cli = (name: string, env: Record<string, string>) => start(env, emptyFolder(), join(ROOT, 'src/cli', `${name}.ts`));

  it.each([
    ['migrate', 'Not migrating'],
    ['rebuild', 'Not rebuilding'],
  ])('npm run %s refuses a DATABASE_URL it cannot use, with one line and no file', async (name, prefix) => {
    const run = await cli(name, { DATABASE_URL: 'mysql://root:hunter2-secret@127.0.0.1/db' });
    expect(run.stderr).toMatch(new RegExp(`^${prefix}: DATABASE_URL "mysql://root:\\*\\*\\*@127\\.0\\.0\\.1/db" is not a database this service can use[^\n]*\n$`));
    expect(run.stdout + run.stderr).not.toContain('hunter2-secret');
    expect(run.code).toBe(1);
    expect(run.created).toEqual([]);
  });

  it('npm run migrate on an unreachable database: one line, masked', async () => {
    const run = await cli('migrate', { DATABASE_URL: 'postgres://postgres:pw-never-printed@127.0.0.1:1/test' });
    expect(run.stderr).toBe(
      'Not migrating: cannot connect to the database postgres://postgres:***@127.0.0.1:1/test (DATABASE_URL): connection refused (is the server running, on that host and port?)\n',
    );
    expect(run.code).toBe(1);
  });

  it('needs only DATABASE_URL: NODE_ENV=production without authentication settings does not stop a migration', async () => {
    const folder = emptyFolder();
    const run = await cli('migrate', { NODE_ENV: 'production', DATABASE_URL: join(folder, 'apikeys.db') });
    expect(run.stdout).toBe(`Migrations applied to ${join(folder, 'apikeys.db')}\n`);
    expect(run.code).toBe(0);
  });

  it.skipIf(!POSTGRES_URL)('npm run migrate creates a missing ?schema=, and migrate and rebuild print the URL with its password masked', async () => {
    const schema = `s_${randomBytes(6).toString('hex')}`;
    const url = new URL(POSTGRES_URL!);
    url.password = 'pw-never-printed';
    url.searchParams.set('schema', schema);
    const masked = url.toString().replace('pw-never-printed', '***');
    try {
      const migrated = await cli('migrate', { DATABASE_URL: url.toString() });
      expect(migrated.stdout).toBe(`Migrations applied to ${masked}\n`);
      expect(migrated.code).toBe(0);
      const rebuilt = await cli('rebuild', { DATABASE_URL: url.toString() });
      expect(rebuilt.stdout).toMatch(new RegExp(`^Rebuilt projections from 0 events in [\\d.]+ s \\(${masked.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\n$`));
      expect(rebuilt.code).toBe(0);
      expect(migrated.stdout + migrated.stderr + rebuilt.stdout + rebuilt.stderr).not.toContain('pw-never-printed');
    } finally {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`).finally(() => client.end());
    }
  });
});
