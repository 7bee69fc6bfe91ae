import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type RowsDigest, USAGE_BOOKS_STREAM, type UsageHourClosed } from '../../events/books-events';
import type { EventMetadata } from '../../events/event-envelope';
import { commitEvents } from '../store/commit-events';
import type { Db } from '../store/database';
import { appendToStream, currentStreamVersion } from '../store/event-store';
import type { Database, UsageKeyHoursTable, UsageProjectHoursTable, UsageWindowsTable } from '../store/schema';
import { readBooksState } from './usage-books-state';
import { type DigestedTable, RowsDigester } from './usage-digest';
import { ensureUsagePartitions } from './usage-partitions';
import { ceilTo, DAY_MS, floorTo, HOUR_MS } from './usage-periods';
import { addCounts, addRow, zeroCounts } from './usage-rows';
import { lockSealExclusive, readSeal } from './usage-seal';
import { forEachUsageRow } from './usage-table-pages';
import { addUsageRows, USAGE_KEYS } from './usage-upsert';

/** Who closes the books, in the chained log's metadata. */
export function booksMetadata(): EventMetadata {
  const id = `usage-books-${randomUUID()}`;
  return { actor: 'system:usage-books', requestId: id, causationId: id, correlationId: id, clientAddress: null, userAgent: null };
}

/**
 * Closes the next hour that has usage, if it ended at least `graceMs` ago (or,
 * when the day of the last closing had no more usage, the rest of that day):
 * 1. seals it (a short transaction): from then on flushes move its late uses to the first open window;
 * 2. reads its windows a page at a time, hashing them and folding them per key and per project;
 * 3. in one transaction, writes the hourly summaries, adds them to the day's, and
 *    appends UsageHourClosed with the digests to the chained log (any hours before
 *    it since the last closing had no usage and are closed with it).
 * Returns false when nothing is due. Two instances may race: the append's expected
 * version lets one win; the other's transaction rolls back whole.
 */
export async function closeNextUsageHour(db: Db, now: number, graceMs: number): Promise<boolean> {
  const { closedThrough } = await readBooksState(db);
  const first = await db
    .selectFrom('usage_windows')
    .select('window_start')
    .where('window_start', '>=', closedThrough ?? 0)
    .orderBy('window_start')
    .limit(1)
    .executeTakeFirst();
  const firstAt = first ? Number(first.window_start) : null;
  let to: number;
  if (firstAt !== null && floorTo(firstAt, HOUR_MS) + HOUR_MS + graceMs <= now) {
    to = floorTo(firstAt, HOUR_MS) + HOUR_MS;
  } else if (
    closedThrough !== null &&
    closedThrough % DAY_MS !== 0 &&
    ceilTo(closedThrough, DAY_MS) + graceMs <= now &&
    (firstAt === null || firstAt >= ceilTo(closedThrough, DAY_MS))
  ) {
    // No usage for the rest of the day after the last closing: close it empty, so the day
    // is complete (its summary digested, its windows free to go) without waiting for new usage.
    to = ceilTo(closedThrough, DAY_MS);
  } else {
    return false;
  }
  const hour = to - HOUR_MS;
  const from = closedThrough ?? hour;
  const version = await currentStreamVersion(db, USAGE_BOOKS_STREAM);

  if ((await readSeal(db)) < to) {
    await db.transaction().execute(async (trx) => {
      await lockSealExclusive(trx);
      await trx
        .updateTable('usage_seal')
        .set({ sealed_through: sql<number>`case when sealed_through < ${to} then ${to} else sealed_through end` })
        .where('id', '=', 1)
        .execute();
    });
  }

  // From here the hour's rows no longer change.
  const keyHours = new Map<string, UsageKeyHoursTable>();
  const windows = new RowsDigester('usage_windows');
  await forEachUsageRow(db, 'usage_windows', from, to, (row) => {
    windows.add(row);
    let into = keyHours.get(row.key_id);
    if (!into)
      keyHours.set(
        row.key_id,
        (into = { hour_start: hour, key_id: row.key_id, project_id: row.project_id, ...zeroCounts(), last_valid_at: null, last_rejected_at: null, last_rejected_code: null }),
      );
    addRow(into, row as UsageWindowsTable);
  });
  const projectHours = new Map<string, UsageProjectHoursTable>();
  const projectWindows = new RowsDigester('usage_project_windows');
  await forEachUsageRow(db, 'usage_project_windows', from, to, (row) => {
    projectWindows.add(row);
    let into = projectHours.get(row.project_id);
    if (!into) projectHours.set(row.project_id, (into = { hour_start: hour, project_id: row.project_id, ...zeroCounts() }));
    addCounts(into, row);
  });

  const keyRows = [...keyHours.values()];
  const projectRows = [...projectHours.values()];
  const totals = zeroCounts();
  for (const row of keyRows) addCounts(totals, row);
  const day = floorTo(hour, DAY_MS);
  // Days whose last hour this closing reaches: the hour's own if it is the last of its day,
  // and any between the previous closing and this one (they had no usage after it).
  const completedDays: number[] = [];
  for (let d = floorTo(from, DAY_MS); d + DAY_MS <= to; d += DAY_MS) if (d + DAY_MS > from) completedDays.push(d);

  await ensureUsagePartitions(db, hour, hour);
  await commitEvents(db, async (trx) => {
    await insertChunks(trx, 'usage_key_hours', keyRows);
    await insertChunks(trx, 'usage_project_hours', projectRows);
    await addUsageRows(
      trx,
      'usage_key_days',
      USAGE_KEYS.usage_key_days,
      keyRows.map(({ hour_start: _, ...row }) => ({ ...row, day_start: day })),
    );
    await addUsageRows(
      trx,
      'usage_project_days',
      USAGE_KEYS.usage_project_days,
      projectRows.map(({ hour_start: _, ...row }) => ({ ...row, day_start: day })),
    );
    const days: UsageHourClosed['data']['days'] = [];
    for (const completed of completedDays) {
      days.push({
        day: new Date(completed).toISOString(),
        keyDays: await digestOf(trx, 'usage_key_days', completed, completed + DAY_MS),
        projectDays: await digestOf(trx, 'usage_project_days', completed, completed + DAY_MS),
      });
    }
    const event: UsageHourClosed = {
      type: 'UsageHourClosed',
      data: {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        windows: windows.result(),
        projectWindows: projectWindows.result(),
        keyHours: digestRows('usage_key_hours', keyRows),
        projectHours: digestRows('usage_project_hours', projectRows),
        days,
        totals,
      },
    };
    return appendToStream(trx, USAGE_BOOKS_STREAM, version, [event], { metadata: booksMetadata(), recordedAt: new Date(now).toISOString() });
  });
  return true;
}

/** The digest of a table's rows in a period, read from the database. */
export async function digestOf(db: Kysely<Database>, table: DigestedTable, from: number, to: number): Promise<RowsDigest> {
  const digester = new RowsDigester(table);
  await forEachUsageRow(db, table, from, to, (row) => digester.add(row));
  return digester.result();
}

function digestRows(table: DigestedTable, rows: readonly object[]): RowsDigest {
  const digester = new RowsDigester(table);
  for (const row of rows) digester.add(row as Record<string, unknown>);
  return digester.result();
}

async function insertChunks(trx: Kysely<Database>, table: 'usage_key_hours' | 'usage_project_hours', rows: readonly object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500)
    await trx
      .insertInto(table)
      .values(rows.slice(i, i + 500) as any)
      .execute();
}
