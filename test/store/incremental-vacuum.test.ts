import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPostgres } from '../../src/store/database';
import { tempDatabase } from '../support/temp-database';

// Usage retention deletes old windows and hands their pages back to the file system
// with `pragma incremental_vacuum(n)` through Kysely; a statement with no result
// columns is stepped once by the driver, which would free a single page.

describe('incremental vacuum through Kysely (SQLite)', () => {
  let store: Awaited<ReturnType<typeof tempDatabase>>;
  beforeEach(async () => {
    store = await tempDatabase();
  });
  afterEach(() => store.cleanup());

  it('frees as many pages as it is asked to, so the file shrinks after retention', async () => {
    if (isPostgres(store.db)) return;
    const free = async () => (await sql<{ freelist_count: number }>`pragma freelist_count`.execute(store.db)).rows[0]!.freelist_count;
    await sql`create table filler (x blob)`.execute(store.db);
    await sql`insert into filler select randomblob(4000) from (with recursive c(n) as (select 1 union all select n + 1 from c where n < 500) select n from c)`.execute(store.db);
    await sql`delete from filler`.execute(store.db);
    const before = await free();
    expect(before).toBeGreaterThan(400);
    await sql`pragma incremental_vacuum(300)`.execute(store.db);
    expect(await free()).toBe(before - 300);
  });
});
