import type SQLite from 'better-sqlite3';
import { LRUCache } from 'lru-cache';

/**
 * Kysely prepares every statement anew; better-sqlite3 statements can be reused,
 * and preparing is a large part of a small query's cost (rebuilds run millions).
 * The least recently used statement goes first: the queries of the hot paths stay
 * prepared, and one-off statements (IN lists of every length) are the ones pushed out.
 * No TTL: a prepared statement does not go stale (SQLite re-prepares it itself
 * after a schema change).
 */
export function withStatementCache(sqlite: SQLite.Database, maxStatements = 500) {
  const statements = new LRUCache<string, SQLite.Statement>({ max: maxStatements });
  return {
    close: () => void sqlite.close(),
    prepare(sql: string) {
      // A prepared `pragma incremental_vacuum(n)` frees one page per step, and a statement
      // that returns no columns is stepped once: better-sqlite3's pragma() steps it through.
      const vacuum = /^pragma incremental_vacuum\((\d+)\)$/i.exec(sql.trim());
      if (vacuum)
        return {
          reader: false,
          run: () => {
            sqlite.pragma(`incremental_vacuum(${vacuum[1]})`);
            return { changes: 0, lastInsertRowid: 0 };
          },
        } as unknown as SQLite.Statement;
      let statement = statements.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
