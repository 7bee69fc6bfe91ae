import type { Kysely } from 'kysely';
import { type RowsDigest, USAGE_BOOKS_STREAM, type UsageHourClosed } from '../../events/books-events';
import type { Database } from '../store/schema';
import { digestOf } from './close-usage-hour';
import { readBooksState } from './usage-books-state';
import type { DigestedTable } from './usage-digest';
import { DAY_MS } from './usage-periods';

export interface UsageIntegrityReport {
  ok: boolean;
  /** Hours closed in the books. */
  closings: number;
  /** Usage rows whose digests were recomputed. */
  checkedRows: number;
  /** Windows written since the last closing: covered once their hour closes. */
  openWindows: number;
  problems: string[];
}

/**
 * Recomputes, from the rows kept, every digest the books recorded in the chained
 * log: windows and hourly summaries of each closed hour (unless retention released
 * them, as recorded by UsagePruned), and daily summaries of each completed day.
 * A row changed, added or removed in a closed period shows as a mismatch.
 */
export async function checkUsageBooks(db: Kysely<Database>): Promise<UsageIntegrityReport> {
  const books = await readBooksState(db);
  const report: UsageIntegrityReport = { ok: true, closings: 0, checkedRows: 0, openWindows: 0, problems: [] };
  const check = async (table: DigestedTable, from: number, to: number, recorded: RowsDigest, what: string) => {
    const actual = await digestOf(db, table, from, to);
    report.checkedRows += actual.rows;
    if (actual.sha256 !== recorded.sha256) {
      report.ok = false;
      report.problems.push(`${what}: ${table} holds ${actual.rows} rows that do not match the ${recorded.rows} recorded when the books were closed`);
    }
  };
  let afterVersion = 0;
  for (;;) {
    const rows = await db
      .selectFrom('events')
      .select(['stream_version', 'data'])
      .where('stream_id', '=', USAGE_BOOKS_STREAM)
      .where('type', '=', 'UsageHourClosed')
      .where('stream_version', '>', afterVersion)
      .orderBy('stream_version')
      .limit(500)
      .execute();
    if (rows.length === 0) break;
    afterVersion = Number(rows.at(-1)!.stream_version);
    for (const row of rows) {
      const closing = JSON.parse(row.data) as UsageHourClosed['data'];
      const from = Date.parse(closing.from);
      const to = Date.parse(closing.to);
      const what = `usage closed ${closing.from} to ${closing.to}`;
      report.closings++;
      if (from >= books.prunedBefore.MINUTE) {
        await check('usage_windows', from, to, closing.windows, what);
        await check('usage_project_windows', from, to, closing.projectWindows, what);
      }
      if (from >= books.prunedBefore.HOUR) {
        await check('usage_key_hours', from, to, closing.keyHours, what);
        await check('usage_project_hours', from, to, closing.projectHours, what);
      }
      for (const day of closing.days) {
        const start = Date.parse(day.day);
        await check('usage_key_days', start, start + DAY_MS, day.keyDays, `usage of the day ${day.day}`);
        await check('usage_project_days', start, start + DAY_MS, day.projectDays, `usage of the day ${day.day}`);
      }
    }
  }
  const open = await db
    .selectFrom('usage_windows')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('window_start', '>=', books.closedThrough ?? 0)
    .executeTakeFirst();
  report.openWindows = Number(open?.count ?? 0);
  return report;
}
