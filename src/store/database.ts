import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, type Driver } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';
import { migrateToLatest } from './migrations';

export interface DatabaseOptions {
  /** Called once per SQL statement sent; lets tests count what a request costs. */
  onQuery?: (sql: string) => void;
  /** Apply migrations on open (default true). */
  migrate?: boolean;
}

export type Db = Kysely<Database>;

/**
 * Opens the database a DATABASE_URL names: postgres://… for PostgreSQL (add
 * ?schema=name to work in a schema of your own), anything else is a SQLite file.
 */
export async function openDatabase(databaseUrl: string, options: DatabaseOptions = {}): Promise<Db> {
  const db = new Kysely<Database>({
    dialect: isPostgresUrl(databaseUrl) ? postgresDialect(databaseUrl) : sqliteDialect(databaseUrl),
    log: (event) => {
      if (event.level === 'query') options.onQuery?.(event.query.sql);
    },
  });
  if (options.migrate !== false) await migrateToLatest(db);
  return db;
}

export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(databaseUrl);
}

/** Whether a database (or a transaction on it) is PostgreSQL: the few dialect-specific steps ask this. */
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** The connection settings of a postgres:// URL, with its ?schema= turned into the search path. */
export function postgresConfig(databaseUrl: string): pg.ClientConfig {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('?schema= must be a lowercase SQL identifier');
  return { connectionString: url.toString(), ...(schema && { options: `-c search_path=${schema}` }) };
}

// PostgreSQL returns bigint (int8) columns and count(*) as strings; positions and
// counts here stay far below 2^53, so they are read as numbers.
pg.types.setTypeParser(20, Number);

function postgresDialect(databaseUrl: string) {
  return new PostgresDialect({ pool: new pg.Pool({ ...postgresConfig(databaseUrl), max: 10 }) });
}

function sqliteDialect(databaseUrl: string) {
  const file = sqliteFileFromUrl(databaseUrl);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: with WAL, every commit is fsynced before it returns, so an event is
  // durable by the time the mutation that appended it answers.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  return new WriteLockingSqliteDialect({ database: withStatementCache(sqlite) });
}

export function sqliteFileFromUrl(databaseUrl: string): string {
  const file = databaseUrl.replace(/^(sqlite|file):(\/\/)?/i, '');
  if (!file) throw new Error('DATABASE_URL names no file');
  return file;
}

/**
 * Kysely prepares every statement anew; better-sqlite3 statements can be reused,
 * and preparing is a large part of a small query's cost (rebuilds run millions).
 */
function withStatementCache(sqlite: SQLite.Database, maxStatements = 500) {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => void sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= maxStatements) statements.delete(statements.keys().next().value!);
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * Every transaction we open writes, so it takes SQLite's write lock up front
 * (BEGIN IMMEDIATE). A deferred BEGIN would read first and then fail with
 * SQLITE_BUSY when another process committed in between; this way a second
 * writer waits (busy_timeout), then sees the new version and gets a Conflict.
 */
class WriteLockingSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}
