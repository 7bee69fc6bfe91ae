import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, type Driver } from 'kysely';
import type { Database } from './schema';
import { migrateToLatest } from './migrations';

export interface DatabaseOptions {
  /** Called once per SQL statement sent; lets tests count what a request costs. */
  onQuery?: (sql: string) => void;
}

export type Db = Kysely<Database>;

/** Opens (creating and migrating if needed) the database a DATABASE_URL names. */
export async function openDatabase(databaseUrl: string, options: DatabaseOptions = {}): Promise<Db> {
  const file = sqliteFileFromUrl(databaseUrl);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: with WAL, every commit is fsynced before it returns, so an event is
  // durable by the time the mutation that appended it answers.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({
    dialect: new WriteLockingSqliteDialect({ database: withStatementCache(sqlite) }),
    log: (event) => {
      if (event.level === 'query') options.onQuery?.(event.query.sql);
    },
  });
  await migrateToLatest(db);
  return db;
}

export function sqliteFileFromUrl(databaseUrl: string): string {
  if (/^postgres(ql)?:/i.test(databaseUrl)) {
    throw new Error('PostgreSQL is not supported yet: DATABASE_URL must name a SQLite file');
  }
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
