import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, type Driver, Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { isPostgresUrl, POSTGRES_SCHEMA_PATTERN, sqliteFileFromUrl } from '../config/database-url';
import { causeOf, databaseOpenFailure, StartFailure } from '../config/start-failure';
import { migrateToLatest } from './migrations';
import type { Database } from './schema';
import { withStatementCache } from './sqlite-statements';

export interface DatabaseOptions {
  /** Called once per SQL statement sent; lets tests count what a request costs. */
  onQuery?: (sql: string) => void;
  /** Apply migrations on open (default true). */
  migrate?: boolean;
  /**
   * Told of connection errors that belong to no query (PostgreSQL dropped an idle
   * connection). Without a listener they would be uncaught exceptions.
   */
  onConnectionError?: (error: Error) => void;
  /** PostgreSQL: connections in the pool (default 10). */
  poolSize?: number;
  /**
   * SQLite: open an existing file read-only, as is (no switch to WAL, no migrations), so a
   * check of a backup cannot change it and works on a read-only copy. Not for ':memory:'.
   */
  readOnly?: boolean;
}

export type Db = Kysely<Database>;

export { isPostgresUrl, sqliteFileFromUrl } from '../config/database-url';

/**
 * Opens the database a DATABASE_URL names: postgres://… for PostgreSQL (add
 * ?schema=name to work in a schema of your own), anything else is a SQLite file
 * (src/config/database-url.ts has the accepted forms; config refuses the rest).
 * A failure to open or migrate is a StartFailure: one line naming the masked URL
 * and the cause, what the server and the CLIs print.
 */
export async function openDatabase(databaseUrl: string, options: DatabaseOptions = {}): Promise<Db> {
  const postgres = isPostgresUrl(databaseUrl);
  let db: Db;
  try {
    db = new Kysely<Database>({
      dialect: postgres ? postgresDialect(databaseUrl, options.poolSize ?? 10, options.onConnectionError) : sqliteDialect(databaseUrl, options.readOnly ?? false),
      log: (event) => {
        if (event.level === 'query') options.onQuery?.(event.query.sql);
      },
    });
  } catch (error) {
    // SQLite opens its file here: a folder that cannot be made, a file that cannot be written.
    if (options.readOnly && !postgres)
      throw new StartFailure(`cannot open the SQLite database ${sqliteFileFromUrl(databaseUrl)} read-only (DATABASE_URL): ${causeOf(error, databaseUrl)}`, { cause: error });
    throw databaseOpenFailure(databaseUrl, postgres ? null : sqliteFileFromUrl(databaseUrl), error);
  }
  if (options.migrate !== false && !(options.readOnly && !postgres)) {
    try {
      if (postgres) await createSchemaIfMissing(db, databaseUrl);
      await migrateToLatest(db);
    } catch (error) {
      // PostgreSQL connects on the first statement: an unreachable server shows here.
      await db.destroy().catch(() => undefined);
      throw databaseOpenFailure(databaseUrl, postgres ? null : sqliteFileFromUrl(databaseUrl), error);
    }
  }
  return db;
}

/**
 * The ?schema= a DATABASE_URL names is created when migrations run, so a new
 * deployment needs no manual step. Looked up first: CREATE SCHEMA IF NOT EXISTS
 * needs the CREATE privilege on the database even when the schema is there.
 */
async function createSchemaIfMissing(db: Db, databaseUrl: string): Promise<void> {
  const schema = new URL(databaseUrl).searchParams.get('schema');
  if (!schema) return;
  const { rows } = await sql<{
    user: string;
    database: string;
    present: boolean;
  }>`select current_user as user, current_database() as database, exists(select 1 from pg_namespace where nspname = ${schema}) as present`.execute(db);
  const { user, database, present } = rows[0]!;
  if (present) return;
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Another instance created it at the same moment (IF NOT EXISTS is not race-free).
    if (code === '23505') return;
    if (code !== '42501') throw error;
    throw new StartFailure(
      `the schema "${schema}" named in DATABASE_URL (?schema=) does not exist and ${user} may not create it: run CREATE SCHEMA ${schema} AUTHORIZATION ${user}; in database ${database} as a user that may (or GRANT CREATE ON DATABASE ${database} TO ${user};), then start again`,
      { cause: error },
    );
  }
}

/**
 * A second handle on the same database for verification's reads: its own small
 * pool on PostgreSQL, its own connection on SQLite (WAL lets it read beside the
 * writer). However many dashboard queries fill the main pool, or however long a
 * write waits there for a lock, a gateway's cache miss does not queue behind them.
 * An in-memory SQLite database cannot be opened twice, so it shares the main handle.
 */
export async function openVerificationReader(databaseUrl: string, main: Db, options: Pick<DatabaseOptions, 'onQuery' | 'onConnectionError'>): Promise<Db> {
  if (!isPostgresUrl(databaseUrl) && sqliteFileFromUrl(databaseUrl) === ':memory:') return main;
  return openDatabase(databaseUrl, { ...options, migrate: false, poolSize: 4 });
}

/** Whether a database (or a transaction on it) is PostgreSQL: the few dialect-specific steps ask this. */
// biome-ignore lint/suspicious/noExplicitAny: asked of every handle, typed or not (usage tables, migrations)
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** The connection settings of a postgres:// URL, with its ?schema= turned into the search path. */
export function postgresConfig(databaseUrl: string): pg.ClientConfig {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  if (schema && !POSTGRES_SCHEMA_PATTERN.test(schema)) throw new Error('?schema= must be a lowercase SQL identifier');
  return { connectionString: url.toString(), ...(schema && { options: `-c search_path=${schema}` }) };
}

// PostgreSQL returns bigint (int8) columns and count(*) as strings; positions and
// counts here stay far below 2^53, so they are read as numbers.
pg.types.setTypeParser(20, Number);

/** How long a request waits for a pooled connection before the database counts as unavailable. */
const CONNECT_TIMEOUT_MS = 1000;

function postgresDialect(databaseUrl: string, poolSize: number, onConnectionError?: (error: Error) => void) {
  const pool = new pg.Pool({
    ...postgresConfig(databaseUrl),
    max: poolSize,
    // A restarting server refuses or hangs new connections: fail within a second, don't queue forever.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle client whose backend was terminated (restart, failover) emits 'error' here;
  // the pool discards it and the next query connects afresh.
  pool.on('error', (error) => onConnectionError?.(error));
  return new OriginalErrorPostgresDialect({ pool });
}

const poolsByAdapter = new WeakMap<object, pg.Pool>();

/** A PostgreSQL handle's connection pool (for its metrics); null on SQLite. */
// biome-ignore lint/suspicious/noExplicitAny: any handle, typed or not
export function poolOf(db: Kysely<any>): pg.Pool | null {
  return poolsByAdapter.get(db.getExecutor().adapter) ?? null;
}

class OriginalErrorPostgresDialect extends PostgresDialect {
  constructor(private readonly poolConfig: { pool: pg.Pool }) {
    super(poolConfig);
  }

  /** The adapter is the one part of a dialect a Kysely instance shows: poolOf finds the pool through it. */
  override createAdapter() {
    const adapter = super.createAdapter();
    poolsByAdapter.set(adapter, this.poolConfig.pool);
    return adapter;
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    keepOriginalErrorOnRollback(driver);
    return driver;
  }
}

function sqliteDialect(databaseUrl: string, readOnly: boolean) {
  const file = sqliteFileFromUrl(databaseUrl);
  if (file !== ':memory:' && !readOnly) mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file, readOnly ? { readonly: true, fileMustExist: true } : {});
  try {
    // Journal mode is written into the file: a read-only open keeps the file's own.
    if (!readOnly) sqlite.pragma('journal_mode = WAL');
    // FULL: with WAL, every commit is fsynced before it returns, so an event is
    // durable by the time the mutation that appended it answers.
    sqlite.pragma('synchronous = FULL');
    // No busy wait inside SQLite: better-sqlite3 is synchronous, so a wait there would
    // freeze the event loop (every request, cached verifications too) while another
    // process holds the write lock. Writers retry asynchronously instead (below).
    sqlite.pragma('busy_timeout = 0');
  } catch (error) {
    // A start that fails here (a read-only file, a locked one) must not keep the file open.
    sqlite.close();
    throw error;
  }
  return new WriteLockingSqliteDialect({ database: withStatementCache(sqlite) });
}

/** How long a writer waits for another process's write lock before the database counts as unavailable. */
const WRITE_LOCK_WAIT_MS = 5000;

/**
 * Every transaction we open writes, so it takes SQLite's write lock up front
 * (BEGIN IMMEDIATE). A deferred BEGIN would read first and then fail with
 * SQLITE_BUSY when another process committed in between; this way a second
 * writer waits, then sees the new version and gets a Conflict. The wait is a
 * loop of short timers, never SQLite's own busy wait, so the event loop runs on.
 */
class WriteLockingSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
      for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
        try {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
          return;
        } catch (error) {
          if (!String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY') || Date.now() + pause > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, pause));
        }
      }
    };
    keepOriginalErrorOnRollback(driver);
    return driver;
  }
}

/**
 * When a statement fails because the disk is full or I/O failed, SQLite has often
 * rolled the transaction back already, and our ROLLBACK then fails with "no
 * transaction is active". Kysely would throw that instead of the real cause;
 * the cause is what the caller and the log need, so a failed rollback is swallowed.
 */
function keepOriginalErrorOnRollback(driver: Driver): void {
  const rollback = driver.rollbackTransaction.bind(driver);
  driver.rollbackTransaction = async (connection) => {
    try {
      await rollback(connection);
    } catch {
      // The transaction is gone either way; the error being thrown is the one that matters.
    }
  };
}
