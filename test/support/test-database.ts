import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The dialect this run of the suite is for; vitest.config.ts runs the suite once per dialect. */
export const TEST_DIALECT: 'sqlite' | 'postgres' = process.env.TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite';

export interface TestDatabase {
  url: string;
  /** The folder holding the SQLite file; null on PostgreSQL. */
  dir: string | null;
  cleanup(): Promise<void>;
}

/**
 * A database of its own for one test: a fresh SQLite file in a temporary folder,
 * or a fresh schema in TEST_POSTGRES_URL's database, dropped afterwards. If
 * PostgreSQL was asked for and cannot be reached, this throws: the suite fails
 * rather than skipping.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (TEST_DIALECT === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'apikeys-test-'));
    return { url: join(dir, 'apikeys.db'), dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const base = process.env.TEST_POSTGRES_URL;
  if (!base) throw new Error('TEST_DIALECT=postgres needs TEST_POSTGRES_URL');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await withClient(base, (client) => client.query(`create schema ${schema}`));
  const url = `${base}${base.includes('?') ? '&' : '?'}schema=${schema}`;
  return { url, dir: null, cleanup: () => withClient(base, (client) => client.query(`drop schema ${schema} cascade`)) };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
