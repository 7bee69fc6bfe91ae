import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECTION_TABLES } from '../../projections/project-events';
import { readOnly } from '../../src/store/backup';
import { type Db, openDatabase } from '../../src/store/database';
import { UsageBooks } from '../../src/usage/usage-books';
import { changeKey, generateKey, verify } from '../support/api-key-operations';
import { bulkHistory } from '../support/bulk-history';
import { startTestServer, type TestServer } from '../support/test-server';
import { asUnprivileged } from '../support/unprivileged';

const execFileAsync = promisify(execFile);

/** Runs one of the CLIs as a real process, as an operator would: exit code and output, never a throw. */
function cli(script: string, args: string[], databaseUrl: string) {
  return execFileAsync(process.execPath, ['--import', 'tsx', `src/cli/${script}.ts`, ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error) => ({ code: error.code as number, stdout: error.stdout as string, stderr: error.stderr as string }),
  );
}

/** The command and arguments that run a command as a user who cannot write a read-only file: `nobody` when the tests run as root (chmod does not stop root); null when that cannot be done. */
const unprivileged = asUnprivileged();
if (!unprivileged) console.warn('backup-restore: running as root without a working setpriv: verify-log on a read-only copy is skipped');

/** Every row of every projection table (the tables a rebuild replaces), in a stable order. */
async function projections(db: Db) {
  const dump: Record<string, string[]> = {};
  for (const table of PROJECTION_TABLES) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    dump[table] = rows.rows.map((row) => JSON.stringify(row)).sort();
  }
  return dump;
}

const headLine = (stdout: string) => {
  const match = /Head: position (\d+), hash ([0-9a-f]{64})/.exec(stdout);
  if (!match) throw new Error(`no head in: ${stdout}`);
  return { position: Number(match[1]), hash: match[2]! };
};

describe('backup and restore on SQLite, while the server writes', () => {
  let server: TestServer;
  let dir: string;
  let backup: string;
  let restored: string;
  let recorded: { headPosition: number; headHash: string; takenAt: string; events: number; database: string; bytes: number };
  let cliOutput: { code: number; stdout: string; stderr: string };
  let grewDuringBackup: { before: number; after: number };
  const keyNames: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'apikeys-backup-'));
    backup = join(dir, 'backup.db');
    restored = join(dir, 'restored', 'apikeys.db');
    // Some size, so the copy takes a moment, and closed usage hours for verify-log to check after the restore.
    await bulkHistory(server.db, { projectId: 'proj_bulk', keys: 1000, deactivateEvery: 7, usagePerKey: 150 });
    await new UsageBooks(server.db, { retention: { minuteDays: 7, hourDays: 30 }, now: Date.now }).run();
    const live: { id: string; secret: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const { apiKey, secret } = await generateKey(server, { projectId: 'proj_backup', name: `key ${keyNames.length}` });
      keyNames.push(`key ${keyNames.length}`);
      live.push({ id: apiKey.id, secret });
    }

    // Traffic until told to stop: generations, verifications, deactivations and reactivations, usage flushes.
    let stopping = false;
    let requests = 0;
    const latencies: number[] = [];
    const timed = async <T>(work: () => Promise<T>) => {
      const started = performance.now();
      const result = await work();
      latencies.push(performance.now() - started);
      requests++;
      return result;
    };
    const traffic = (async () => {
      for (let step = 0; !stopping; step++) {
        const key = live[step % live.length]!;
        if (step % 5 === 0) {
          const name = `key ${keyNames.length}`;
          keyNames.push(name);
          const generated = await timed(() => generateKey(server, { projectId: 'proj_backup', name }));
          live.push({ id: generated.apiKey.id, secret: generated.secret });
        } else if (step % 5 === 1) {
          await timed(() => changeKey(server, step % 10 === 1 ? 'deactivateApiKey' : 'reactivateApiKey', key.id, 'backup test'));
        } else if (step % 25 === 2) {
          await server.flushUsage();
        } else {
          await timed(() => verify(server, key.secret));
        }
      }
    })();

    const headNow = async () =>
      Number(
        (
          await server.db
            .selectFrom('events')
            .select((eb) => eb.fn.max('position').as('p'))
            .executeTakeFirstOrThrow()
        ).p,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = await headNow();
    const requestsBefore = requests;
    const latenciesFrom = latencies.length;
    const started = performance.now();
    cliOutput = await cli('backup', [backup], server.databaseUrl);
    const seconds = (performance.now() - started) / 1000;
    const after = await headNow();
    const during = latencies.slice(latenciesFrom);
    const beforeBackup = latencies.slice(0, latenciesFrom);
    stopping = true;
    await traffic;
    await server.flushUsage();
    grewDuringBackup = { before, after };
    // Informational (not asserted): how the server's requests fared while the backup ran.
    console.log(
      `${cliOutput.stdout.trim()}\nbackup CLI: ${seconds.toFixed(2)} s (process included), ${statSync(backup).size} bytes; ${requests - requestsBefore} requests meanwhile, max ${Math.max(...during).toFixed(1)} ms (before: max ${Math.max(...beforeBackup).toFixed(1)} ms over ${beforeBackup.length})`,
    );
    recorded = JSON.parse(readFileSync(`${backup}.head.json`, 'utf8'));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes a copy while requests keep writing, prints one line and records the head beside it', () => {
    expect(cliOutput.code).toBe(0);
    expect(cliOutput.stderr).toBe('');
    expect(cliOutput.stdout.trim().split('\n')).toHaveLength(1);
    expect(cliOutput.stdout).toContain(`Backup written: ${backup} (`);
    expect(cliOutput.stdout).toContain(`head position ${recorded.headPosition}, hash ${recorded.headHash}`);
    expect(recorded).toEqual({
      headPosition: expect.any(Number),
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      takenAt: expect.any(String),
      events: expect.any(Number),
      database: server.databaseUrl,
      bytes: statSync(backup).size,
    });
    // The server appended while the backup process ran: the copy is of a moving database.
    expect(grewDuringBackup.after).toBeGreaterThan(grewDuringBackup.before);
    // Nothing left beside it but the copy and its head.
    expect(existsSync(`${backup}-wal`) || existsSync(`${backup}-journal`)).toBe(false);
    expect(execFileSync('ls', [dir]).toString().trim().split('\n').sort()).toEqual(['backup.db', 'backup.db.head.json']);
  });

  it('the copy is exactly the live log up to the recorded head: one consistent moment, no torn write', async () => {
    const live = await server.db.selectFrom('events').selectAll().where('position', '<=', recorded.headPosition).orderBy('position').execute();
    const copy = await readOnly(backup, (db) => db.selectFrom('events').selectAll().orderBy('position').execute());
    expect(copy).toEqual(live);
    expect(copy).toHaveLength(recorded.events);
    expect(copy.at(-1)).toMatchObject({ position: recorded.headPosition, chain_hash: recorded.headHash });
  });

  // Before any test runs verify-log on the backup itself: the copies must be as `npm run backup` wrote it.
  it('verify-log leaves the backup it checks byte for byte as it was, with nothing beside it', async () => {
    const folder = join(dir, 'checked');
    mkdirSync(folder);
    const copy = join(folder, 'copy.db');
    copyFileSync(backup, copy);
    const bytes = readFileSync(copy);
    const check = await cli('verify-log', ['--expect-head-file', `${backup}.head.json`], copy);
    expect(check).toMatchObject({ code: 0, stderr: '' });
    expect(check.stdout).toContain(`Expected head found: position ${recorded.headPosition}, hash ${recorded.headHash}.`);
    expect(readFileSync(copy).equals(bytes)).toBe(true);
    expect(readdirSync(folder)).toEqual(['copy.db']);
  });

  it.skipIf(!unprivileged)('verify-log checks a read-only copy in a read-only folder', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'apikeys-readonly-backup-'));
    try {
      const copy = join(folder, 'copy.db');
      copyFileSync(backup, copy);
      copyFileSync(`${backup}.head.json`, `${copy}.head.json`);
      chmodSync(copy, 0o444);
      chmodSync(`${copy}.head.json`, 0o444);
      chmodSync(folder, 0o555);
      const [command, args] = unprivileged!(process.execPath, ['--import', 'tsx', 'src/cli/verify-log.ts', '--expect-head-file', `${copy}.head.json`]);
      const check = await execFileAsync(command, args, { env: { ...process.env, DATABASE_URL: copy, LOG_LEVEL: 'warn' } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error) => ({ code: error.code as number, stdout: error.stdout as string, stderr: error.stderr as string }),
      );
      expect(check, check.stderr).toMatchObject({ code: 0, stderr: '' });
      expect(check.stdout).toContain(`Log intact: ${recorded.events} events checked`);
      expect(check.stdout).toContain(`Expected head found: position ${recorded.headPosition}, hash ${recorded.headHash}.`);
      expect(readdirSync(folder).sort()).toEqual(['copy.db', 'copy.db.head.json']);
    } finally {
      chmodSync(folder, 0o755);
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('restored to a new place, verify-log with the head file passes; a rebuild equals the restored projections', async () => {
    execFileSync('mkdir', ['-p', join(dir, 'restored')]);
    copyFileSync(backup, restored);
    const check = await cli('verify-log', ['--expect-head-file', `${backup}.head.json`], restored);
    expect(check).toMatchObject({ code: 0, stderr: '' });
    expect(check.stdout).toContain(`Log intact: ${recorded.events} events checked`);
    expect(check.stdout).toContain(`Head: position ${recorded.headPosition}, hash ${recorded.headHash}`);
    expect(check.stdout).toContain(`Expected head found: position ${recorded.headPosition}, hash ${recorded.headHash}.`);
    expect(check.stdout).toMatch(/Usage books intact: [1-9]\d* closed hours/);

    const db = await openDatabase(restored, { migrate: false });
    try {
      const before = await projections(db);
      expect(before.api_keys!.length).toBeGreaterThan(1000);
      const rebuilt = await cli('rebuild', [], restored);
      expect(rebuilt.code).toBe(0);
      expect(rebuilt.stdout).toContain(`Rebuilt projections from ${recorded.events} events`);
      expect(await projections(db)).toEqual(before);
    } finally {
      await db.destroy();
    }
  });

  it('a server started on the restored copy serves the keys the backup captured, and goes on appending to its chain', async () => {
    const captured = await readOnly(backup, (db) => db.selectFrom('api_keys').select(['name', 'status']).where('project_id', '=', 'proj_backup').execute());
    // Every key generated before the backup began is in it; keys made during it may be or not.
    expect(captured.length).toBeGreaterThanOrEqual(10);
    expect(new Set(captured.map((key) => key.name))).toEqual(new Set(keyNames.slice(0, captured.length)));

    const again = await startTestServer({ databaseUrl: restored });
    try {
      const served: { name: string; status: string }[] = [];
      let after: string | null = null;
      do {
        const body: any = await again.gql(
          `query ($after: String) { project(id: "proj_backup") { apiKeys(first: 100, after: $after) { edges { node { name status } } pageInfo { hasNextPage endCursor } } } }`,
          { after },
        );
        expect(body.errors).toBeUndefined();
        served.push(...body.data.project.apiKeys.edges.map((edge: any) => edge.node));
        after = body.data.project.apiKeys.pageInfo.hasNextPage ? body.data.project.apiKeys.pageInfo.endCursor : null;
      } while (after);
      expect(served.sort((a: any, b: any) => a.name.localeCompare(b.name))).toEqual([...captured].sort((a, b) => a.name.localeCompare(b.name)));
      await generateKey(again, { projectId: 'proj_backup', name: 'after the restore' });
    } finally {
      await again.close();
    }
    const check = await cli('verify-log', ['--expect-head', `${recorded.headPosition}:${recorded.headHash}`], restored);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`Expected head found: position ${recorded.headPosition}, hash ${recorded.headHash} (the log goes on to position ${recorded.headPosition + 1})`);
  });

  it('verify-log fails a copy whose log was altered, and a head the log does not hold', async () => {
    const tampered = join(dir, 'tampered.db');
    copyFileSync(backup, tampered);
    const victim = await alterEvent(tampered, (db) =>
      db.selectFrom('events').select(['position', 'data']).where('type', '=', 'KeyDeactivated').orderBy('position', 'desc').executeTakeFirstOrThrow(),
    );
    const broken = await cli('verify-log', ['--expect-head-file', `${backup}.head.json`], tampered);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`Log BROKEN at position ${victim.position}`);
    expect(broken.stdout).toContain('Expected head NOT vouched for');

    const wrongHash = await cli('verify-log', ['--expect-head', `${recorded.headPosition}:${'a'.repeat(64)}`], backup);
    expect(wrongHash.code).toBe(1);
    expect(wrongHash.stdout).toContain('Log intact');
    expect(wrongHash.stdout).toContain(`Expected head NOT found: position ${recorded.headPosition} holds hash ${recorded.headHash}`);

    // A copy cut short of the recorded head (an older backup, say) does not pass for it.
    const beyond = await cli('verify-log', ['--expect-head', `${recorded.headPosition + 1000}:${recorded.headHash}`], backup);
    expect(beyond.code).toBe(1);
    expect(beyond.stdout).toContain('holds no event');

    for (const bad of [['--expect-head', '12'], ['--expect-head', 'x:y'], ['--expect-head-file', join(dir, 'missing.json')], ['--nonsense']]) {
      const refused = await cli('verify-log', bad, backup);
      expect(refused.code, bad.join(' ')).toBe(2);
      expect(refused.stderr.trim().split('\n'), bad.join(' ')).toHaveLength(1);
      expect(refused.stderr).toMatch(/^Could not check the log: /);
    }
    // A mistyped path is not checked as an empty database made on the spot.
    const nowhere = await cli('verify-log', ['--expect-head-file', `${backup}.head.json`], join(dir, 'typo.db'));
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr.trim()).toBe(`Could not check the log: no database at ${join(dir, 'typo.db')}`);
    expect(existsSync(join(dir, 'typo.db'))).toBe(false);
  });

  it('a database whose log is broken is not backed up: nothing is left under the name, nor beside it', async () => {
    const source = join(dir, 'broken-source.db');
    copyFileSync(backup, source);
    const victim = await alterEvent(source, (db) => db.selectFrom('events').select(['position', 'data']).orderBy('position').limit(1).offset(5).executeTakeFirstOrThrow());
    const target = join(dir, 'out', 'copy.db');
    execFileSync('mkdir', ['-p', join(dir, 'out')]);
    const refused = await cli('backup', [target], source);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`Backup failed: the log in the copy is broken at position ${victim.position}`);
    expect(execFileSync('ls', ['-A', join(dir, 'out')]).toString()).toBe('');
  });

  it('--force replaces a backup a server had opened, ignoring the -wal it left beside it', async () => {
    const target = join(dir, 'stale', 'copy.db');
    execFileSync('mkdir', ['-p', join(dir, 'stale')]);
    copyFileSync(backup, target);
    // A server ran on the old copy and died: its WAL, with writes never checkpointed, is still there.
    const db = await openDatabase(target);
    await sql`pragma wal_autocheckpoint = 0`.execute(db);
    await db.deleteFrom('events').execute();
    await db.deleteFrom('api_keys').execute();
    copyFileSync(`${target}-wal`, join(dir, 'stale', 'saved-wal'));
    await db.destroy();
    copyFileSync(join(dir, 'stale', 'saved-wal'), `${target}-wal`);

    const forced = await cli('backup', [target, '--force'], server.databaseUrl);
    expect(forced.code, forced.stderr).toBe(0);
    const head = JSON.parse(readFileSync(`${target}.head.json`, 'utf8'));
    // Opened as a server would open it (WAL mode, which replays a -wal beside it), then checked: the new copy, whole.
    await (await openDatabase(target, { migrate: false })).destroy();
    const check = await cli('verify-log', ['--expect-head-file', `${target}.head.json`], target);
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toContain(`Log intact: ${head.events} events checked`);
  });

  it('will not overwrite a backup unless told to; refuses PostgreSQL with a pointer, without its password', async () => {
    const bytes = readFileSync(backup);
    const refused = await cli('backup', [backup], server.databaseUrl);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr.trim()).toBe(`Backup failed: ${backup} exists; pass --force to replace it`);
    expect(readFileSync(backup).equals(bytes)).toBe(true);

    const forced = await cli('backup', [backup, '--force'], server.databaseUrl);
    expect(forced.code).toBe(0);
    const replaced = JSON.parse(readFileSync(`${backup}.head.json`, 'utf8'));
    expect(replaced.headPosition).toBeGreaterThan(recorded.headPosition);

    const postgres = await cli('backup', [join(dir, 'pg.db')], 'postgres://app:s3cret@db.internal:5432/apikeys');
    expect(postgres.code).toBe(1);
    expect(postgres.stderr.trim().split('\n')).toHaveLength(1);
    expect(postgres.stderr).toContain('pg_dump');
    expect(postgres.stderr).not.toContain('s3cret');
    expect(existsSync(join(dir, 'pg.db'))).toBe(false);

    const missing = await cli('backup', [join(dir, 'none.db')], join(dir, 'no-such.db'));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`Backup failed: no database at ${join(dir, 'no-such.db')}`);
    expect(existsSync(join(dir, 'no-such.db'))).toBe(false);
  });
});

/** How many descriptors this process has open on a file (Linux: /proc/self/fd). */
function openDescriptors(file: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // closed meanwhile (the descriptor readdir itself used)
    }
  }).length;
}

describe.skipIf(!existsSync('/proc/self/fd'))('a SQLite file that fails to open', () => {
  it('is not kept open: a failed start leaks no file descriptor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apikeys-notadb-'));
    try {
      const file = join(dir, 'not-a-database.db');
      writeFileSync(file, 'this is not a SQLite database, and it is long enough for SQLite to read a header from it'.repeat(10));
      for (const options of [{}, { migrate: false }, { migrate: false, readOnly: true }]) {
        await expect(openDatabase(file, options), JSON.stringify(options)).rejects.toThrow(/not a SQLite database/);
        expect(openDescriptors(file), JSON.stringify(options)).toBe(0);
      }
      // verify-log says so in one line, exit 2 (1 would mean a broken log), no stack trace.
      const check = await cli('verify-log', [], file);
      expect(check).toMatchObject({ code: 2, stdout: '' });
      expect(check.stderr).toBe(`Could not check the log: cannot open the SQLite database ${file} read-only (DATABASE_URL): the file is not a SQLite database\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** pg_dump and pg_restore of the PostgreSQL the tests use, if installed. */
function postgresTools(): { pgDump: string; pgRestore: string } | null {
  try {
    const bindir = execFileSync('pg_config', ['--bindir']).toString().trim();
    const tools = { pgDump: join(bindir, 'pg_dump'), pgRestore: join(bindir, 'pg_restore') };
    return existsSync(tools.pgDump) && existsSync(tools.pgRestore) ? tools : null;
  } catch {
    return null;
  }
}

const postgresUrl = process.env.TEST_POSTGRES_URL;
const tools = postgresUrl ? postgresTools() : null;
if (postgresUrl && !tools) console.warn('backup-restore: pg_dump/pg_restore not found (pg_config --bindir): the PostgreSQL backup test is skipped');

describe.skipIf(!postgresUrl || !tools)('backup and restore on PostgreSQL with pg_dump and pg_restore', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const restoreDb = `restore_${randomBytes(6).toString('hex')}`;
  const withSchema = (url: string) => `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`;
  /** The URL of another database on the same server. */
  const databaseUrl = (name: string) => {
    const url = new URL(postgresUrl!);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apikeys-pg-backup-'));
    await admin(`create schema ${schema}`);
  });
  afterAll(async () => {
    await admin(`drop database if exists ${restoreDb} with (force)`);
    await admin(`drop schema if exists ${schema} cascade`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a schema dumped with pg_dump and restored into a new database verifies against the recorded head, and rebuilds to the same projections', async () => {
    const source = withSchema(postgresUrl!);
    const server = await startTestServer({ databaseUrl: source });
    try {
      await bulkHistory(server.db, { projectId: 'proj_bulk', keys: 300, deactivateEvery: 5, usagePerKey: 150 });
      await new UsageBooks(server.db, { retention: { minuteDays: 7, hourDays: 30 }, now: Date.now }).run();
      const { apiKey, secret } = await generateKey(server, { projectId: 'proj_pg', name: 'dumped' });
      await verify(server, secret);
      await changeKey(server, 'deactivateApiKey', apiKey.id, 'before the dump');
      await server.flushUsage();
    } finally {
      await server.close();
    }

    // 1. Record the head (keep it outside the database), 2. dump the schema.
    const recorded = await cli('verify-log', [], source);
    expect(recorded.code).toBe(0);
    const head = headLine(recorded.stdout);
    const dump = join(dir, 'apikeys.dump');
    execFileSync(tools!.pgDump, ['-Fc', '-n', schema, '-f', dump, '-d', postgresUrl!]);

    // 3. Restore into a database of its own, 4. check it against the head, 5. rebuild.
    await admin(`create database ${restoreDb}`);
    execFileSync(tools!.pgRestore, ['--no-owner', '-d', databaseUrl(restoreDb), dump]);
    const target = withSchema(databaseUrl(restoreDb));
    const check = await cli('verify-log', ['--expect-head', `${head.position}:${head.hash}`], target);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(`Expected head found: position ${head.position}, hash ${head.hash}.`);
    expect(check.stdout).toMatch(/Usage books intact: [1-9]\d* closed hours/);

    const original = await openDatabase(source, { migrate: false });
    const copy = await openDatabase(target, { migrate: false });
    try {
      const restoredRows = await projections(copy);
      expect(restoredRows).toEqual(await projections(original));
      expect(restoredRows.api_keys!.length).toBe(301);
      const rebuilt = await cli('rebuild', [], target);
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      expect(await projections(copy)).toEqual(restoredRows);
      const wrong = await cli('verify-log', ['--expect-head', `${head.position}:${'0'.repeat(64)}`], target);
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain(`Expected head NOT found: position ${head.position} holds hash ${head.hash}`);
    } finally {
      await original.destroy();
      await copy.destroy();
    }
    // The restored database is a working one: its position sequence came along, and new events chain onto the head.
    const again = await startTestServer({ databaseUrl: target });
    try {
      await generateKey(again, { projectId: 'proj_pg', name: 'after the restore' });
    } finally {
      await again.close();
    }
    const grown = await cli('verify-log', ['--expect-head', `${head.position}:${head.hash}`], target);
    expect(grown.code).toBe(0);
    expect(grown.stdout).toMatch(new RegExp(`Expected head found: position ${head.position}, hash ${head.hash} \\(the log goes on to position \\d+\\)`));
  });
});

/** Alters one event of a SQLite file in place, as someone with write access could: its hash no longer matches. */
async function alterEvent(file: string, choose: (db: Db) => Promise<{ position: number; data: string }>) {
  const db = await openDatabase(file, { migrate: false });
  const victim = await choose(db);
  await db
    .updateTable('events')
    .set({ data: victim.data.replace('"keyId"', '"keyId" ') })
    .where('position', '=', victim.position)
    .execute();
  await db.destroy();
  return victim;
}
