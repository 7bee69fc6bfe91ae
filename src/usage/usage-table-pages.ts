import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/schema';
import type { DigestedTable } from './usage-digest';
import { USAGE_KEYS } from './usage-upsert';

/** Rows per statement when walking a period: a few milliseconds of work. */
const PAGE_ROWS = 2000;

const TIME_COLUMN: Record<DigestedTable, string> = {
  usage_windows: 'window_start',
  usage_project_windows: 'window_start',
  usage_key_hours: 'hour_start',
  usage_project_hours: 'hour_start',
  usage_key_days: 'day_start',
  usage_project_days: 'day_start',
};

/**
 * Calls `each` with every row of a usage table whose time is in [from, to), in
 * primary-key order, a page per statement with a turn of the event loop between
 * pages: better-sqlite3 is synchronous, and a closed hour of a busy service holds
 * tens of thousands of windows.
 */
export async function forEachUsageRow(db: Kysely<Database>, table: DigestedTable, from: number, to: number, each: (row: Record<string, any>) => void): Promise<void> {
  const key = USAGE_KEYS[table];
  const time = TIME_COLUMN[table];
  let after: Record<string, any> | null = null;
  for (;;) {
    let query = db
      .selectFrom(table as any)
      .selectAll()
      .where(sql.ref(time), '<', to);
    // The first page from the period's start; the next ones from the last row read, by the
    // row value alone: with both bounds SQLite scans from the period's start for every page.
    if (!after) query = query.where(sql.ref(time), '>=', from);
    else {
      const last: Record<string, any> = after;
      query = query.where(sql<boolean>`(${sql.join(key.map((column) => sql.ref(column)))}) > (${sql.join(key.map((column) => last[column]))})`);
    }
    for (const column of key) query = query.orderBy(sql.ref(column));
    const rows = (await query.limit(PAGE_ROWS).execute()) as Record<string, any>[];
    for (const row of rows) each(row);
    if (rows.length < PAGE_ROWS) return;
    after = rows.at(-1)!;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
