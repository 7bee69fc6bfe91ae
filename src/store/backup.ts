import { closeSync, existsSync, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { HeadFile } from './backup-head';
import { checkLogIntegrity } from './log-integrity';
import type { Database } from './schema';

/** A failure the CLI reports as one line. */
export class BackupError extends Error {}

export interface BackupResult extends HeadFile {
  file: string;
  headFile: string;
  bytes: number;
  seconds: number;
}

export interface BackupOptions {
  /** Replace an existing backup at the target (and its head file). */
  force?: boolean;
  /** How the source is named in the head file and output: never with a password. */
  databaseName: string;
  now?: () => Date;
}

/** Largest page count better-sqlite3 accepts for one backup step. */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies a live SQLite database to `target` with SQLite's online backup API, from
 * a connection of its own, while servers keep writing (WAL). The copy is made in
 * one backup step, which reads one snapshot: SQLite restarts a step-by-step backup
 * whenever another connection writes, so under steady traffic a backup of small
 * steps could restart for ever; one step never restarts and is consistent by
 * construction. In WAL mode that read holds back no writer (the WAL grows
 * meanwhile, and is checkpointed after).
 *
 * The copy is written beside the target under a temporary name, made a single
 * self-contained file (rollback journal, not WAL), checked (SQLite's quick_check,
 * then the log's hash chain from its first event), synced, and only then renamed:
 * a crash leaves at worst a stray temporary file, never a half copy under the
 * final name. Its head is then written to `target.head.json` the same way.
 */
export async function backupSqlite(sourceFile: string, target: string, options: BackupOptions): Promise<BackupResult> {
  const { force = false, databaseName, now = () => new Date() } = options;
  const started = performance.now();
  if (sourceFile === ':memory:') throw new BackupError('DATABASE_URL names an in-memory database: there is nothing to back up');
  if (!existsSync(sourceFile)) throw new BackupError(`no database at ${databaseName}`);
  const file = resolve(target);
  const headFile = `${file}.head.json`;
  if (!existsSync(dirname(file))) throw new BackupError(`the folder ${dirname(file)} does not exist`);
  if (existsSync(file) && realpathSync(file) === realpathSync(sourceFile)) throw new BackupError('the backup file is the database itself');
  if (!force) {
    for (const existing of [file, headFile]) {
      if (existsSync(existing)) throw new BackupError(`${existing} exists; pass --force to replace it`);
    }
  }

  const partial = `${file}.partial-${process.pid}`;
  const removePartial = () => {
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(partial + suffix, { force: true });
  };
  removePartial();
  try {
    const source = new SQLite(sourceFile, { fileMustExist: true });
    try {
      // A CLI has no event loop to keep free: it may wait for a lock (a WAL recovery, a
      // migration's checkpoint) rather than fail at once as the server does.
      source.pragma('busy_timeout = 10000');
      await source.backup(partial, { progress: () => ALL_PAGES }).catch((error: Error) => {
        throw new BackupError(`could not copy ${databaseName} to ${partial}: ${firstLine(error)}`);
      });
    } finally {
      source.close();
    }
    const takenAt = now().toISOString();

    const copy = new SQLite(partial, { fileMustExist: true });
    try {
      // One file that opens anywhere, read-only too: no -wal or -shm beside it.
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new BackupError(`the copy fails SQLite's quick_check (${String(check)}); the source may be damaged`);
    } finally {
      copy.close();
    }

    const report = await readOnly(partial, (db) => checkLogIntegrity(db));
    if (!report.ok) {
      throw new BackupError(`the log in the copy is broken at position ${report.firstBrokenPosition} (${report.problem}); run npm run verify-log on the database`);
    }
    syncFile(partial);

    const head: HeadFile = {
      headPosition: report.headPosition,
      headHash: report.headHash,
      takenAt,
      events: report.checkedEvents,
      database: databaseName,
      bytes: statSync(partial).size,
    };
    // A stale -wal beside the target would be replayed into the new file when it is opened.
    for (const suffix of ['-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
    renameSync(partial, file);
    writeFileAtomically(headFile, `${JSON.stringify(head, null, 2)}\n`);
    syncFile(dirname(file));
    return { ...head, bytes: head.bytes!, file, headFile, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    removePartial();
    if (error instanceof BackupError) throw error;
    throw new BackupError(firstLine(error as Error));
  }
}

/** Opens a SQLite file read-only for the length of `work`: a check that cannot change what it checks. */
export async function readOnly<T>(file: string, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(file, { readonly: true, fileMustExist: true }) }) });
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

function writeFileAtomically(file: string, text: string): void {
  const partial = `${file}.partial-${process.pid}`;
  try {
    writeFileSync(partial, text);
    syncFile(partial);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Flushes a file (or a folder's entries) to disk, so a rename after it cannot land before the data. */
function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function firstLine(error: Error): string {
  return String(error.message).split('\n')[0]!;
}
