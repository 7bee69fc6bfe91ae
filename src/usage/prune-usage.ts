import { sql } from 'kysely';
import { USAGE_BOOKS_STREAM, type UsagePruned } from '../../events/books-events';
import { commitEvents } from '../store/commit-events';
import { type Db, isPostgres } from '../store/database';
import { appendToStream, currentStreamVersion } from '../store/event-store';
import { booksMetadata } from './close-usage-hour';
import { readBooksState, type UsageRetention } from './usage-books-state';
import { dropUsagePartitionsBefore } from './usage-partitions';
import { DAY_MS, floorTo, HOUR_MS } from './usage-periods';

const RESOLUTIONS = [
  { resolution: 'MINUTE', tables: ['usage_windows', 'usage_project_windows'], time: 'window_start', step: 60_000 },
  { resolution: 'HOUR', tables: ['usage_key_hours', 'usage_project_hours'], time: 'hour_start', step: HOUR_MS },
] as const;

/** Incremental vacuum: pages handed back to the file system per statement. */
const VACUUM_PAGES = 2_000;

export interface PruneReport {
  /** Rows deleted (SQLite) or partitions dropped (PostgreSQL), per table. */
  removed: Record<string, number>;
}

/**
 * Retention: windows older than minuteDays and hourly summaries older than
 * hourDays go (by the hour or the day, see below), and never before their period is closed
 * (daily summaries stay). The release is recorded first (UsagePruned in the
 * chained log, so the integrity check knows these rows are gone on purpose), then
 * the rows: PostgreSQL drops the day partitions; SQLite deletes a window (or an
 * hour) per short transaction and hands free pages beyond a reserve back with
 * incremental vacuum.
 */
export async function pruneUsage(db: Db, now: number, retention: UsageRetention): Promise<PruneReport> {
  const report: PruneReport = { removed: {} };
  const books = await readBooksState(db);
  for (const { resolution, tables, time, step } of RESOLUTIONS) {
    const days = resolution === 'MINUTE' ? retention.minuteDays : retention.hourDays;
    // Whole days on PostgreSQL (a partition each) and for hourly summaries (a day is complete
    // only once closed); SQLite releases windows an hour at a time, so they take no more room
    // than their retention. Never past what is closed.
    const unit = resolution === 'MINUTE' && !isPostgres(db) ? HOUR_MS : DAY_MS;
    const closed = books.closedThrough === null ? 0 : floorTo(books.closedThrough, unit);
    const cutoff = Math.min(floorTo(now - days * DAY_MS, unit), closed);
    let before = books.prunedBefore[resolution];
    if (cutoff > before && (await hasRowsBefore(db, tables[0], time, cutoff))) {
      const event: UsagePruned = { type: 'UsagePruned', data: { resolution, before: new Date(cutoff).toISOString(), retentionDays: days } };
      await commitEvents(db, async (trx) =>
        appendToStream(trx, USAGE_BOOKS_STREAM, await currentStreamVersion(trx, USAGE_BOOKS_STREAM), [event], {
          metadata: booksMetadata(),
          recordedAt: new Date(now).toISOString(),
        }),
      );
      before = cutoff;
    }
    if (before <= 0) continue;
    for (const table of tables) {
      report.removed[table] = isPostgres(db) ? await dropUsagePartitionsBefore(db, table, before) : await deleteBefore(db, table, time, step, before);
    }
    if (!isPostgres(db)) await releaseFreePages(db);
  }
  return report;
}

async function hasRowsBefore(db: Db, table: string, time: string, before: number): Promise<boolean> {
  return (
    (await db
      .selectFrom(table as any)
      .select(sql.ref(time).as('at'))
      .where(sql.ref(time), '<', before)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

/** SQLite: deletes rows before `before` one step of time per transaction, with a loop turn between. */
async function deleteBefore(db: Db, table: string, time: string, step: number, before: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const oldest = await db
      .selectFrom(table as any)
      .select(sql.ref(time).as('at'))
      .where(sql.ref(time), '<', before)
      .orderBy(sql.ref(time))
      .limit(1)
      .executeTakeFirst();
    if (!oldest) break;
    const until = Math.min(before, Number((oldest as { at: number }).at) + step);
    const result = await db.transaction().execute((trx) =>
      trx
        .deleteFrom(table as any)
        .where(sql.ref(time), '<', until)
        .executeTakeFirst(),
    );
    removed += Number(result.numDeletedRows);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return removed;
}

/**
 * SQLite: hands free pages back to the file system, beyond a reserve of a tenth of
 * the file. Pages freed by retention are mostly filled again by the next hour's
 * windows; moving them out and growing the file again would double the work. What
 * stays free beyond the reserve (usage fell, retention shortened) is released,
 * VACUUM_PAGES per statement.
 */
async function releaseFreePages(db: Db): Promise<void> {
  const count = async (pragma: 'page_count' | 'freelist_count') =>
    Number(Object.values((await sql<Record<string, number>>`pragma ${sql.raw(pragma)}`.execute(db)).rows[0] ?? {})[0] ?? 0);
  let excess = (await count('freelist_count')) - Math.floor((await count('page_count')) / 10);
  while (excess > 0) {
    await sql`pragma incremental_vacuum(${sql.lit(Math.min(excess, VACUUM_PAGES))})`.execute(db);
    excess -= VACUUM_PAGES;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
