import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { RejectionCode, UsageCounts } from '../../events/usage-events';
import { ValidationError } from '../domain/errors';
import { type SliceRunner, unlimitedSlices } from '../server/heavy-work';
import type { Database } from '../store/schema';
import { coverRange, type UsageSegment } from './usage-coverage';
import { ceilTo, floorTo, type Granularity, PERIOD_MS } from './usage-periods';
import { addCounts, COUNT_COLUMNS, zeroCounts } from './usage-rows';

// Usage analytics, read from the usage log's resolutions (usage-coverage.ts):
// daily and hourly summaries for what is closed, windows for the rest. Never
// from the chained log; each read is a few index ranges whatever the traffic was.

export type UsageScope = { keyId: string } | { projectId: string };

export interface UsagePoint extends UsageCounts {
  /** Epoch ms: the start of the point's minute, hour or day (UTC). */
  start: number;
}

export interface UsageSeries {
  granularity: Granularity;
  from: number;
  to: number;
  points: UsagePoint[];
}

/** Points per series: 91 days of hours, 36 hours of minutes, or 6 years of days. */
export const MAX_SERIES_POINTS = 2_200;

const TABLES = {
  key: { MINUTE: ['usage_windows', 'window_start'], HOUR: ['usage_key_hours', 'hour_start'], DAY: ['usage_key_days', 'day_start'] },
  project: { MINUTE: ['usage_project_windows', 'window_start'], HOUR: ['usage_project_hours', 'hour_start'], DAY: ['usage_project_days', 'day_start'] },
} as const;

/**
 * The range a series will cover, aligned to its granularity (from rounded down, to
 * up), or a ValidationError naming the field at fault: from after to, too many
 * points, or a granularity finer than what was kept for the period.
 */
export function seriesRange(from: number, to: number, granularity: Granularity, kept: Record<Granularity, number>): { from: number; to: number } {
  const length = PERIOD_MS[granularity];
  const range = { from: floorTo(from, length), to: ceilTo(to, length) };
  if (!(from < to)) throw new ValidationError([{ path: 'to', message: 'must be later than from' }]);
  if ((range.to - range.from) / length > MAX_SERIES_POINTS) {
    throw new ValidationError([{ path: 'to', message: `a series has at most ${MAX_SERIES_POINTS} points; ask for a shorter range or a coarser granularity` }]);
  }
  if (range.from < kept[granularity]) {
    const since = new Date(kept[granularity]).toISOString();
    throw new ValidationError([{ path: 'granularity', message: `${granularity} usage is kept from ${since} on; ask for a coarser granularity or a later from` }]);
  }
  return range;
}

/** Verifications per period of a key or a project over an aligned range, zeros included. */
export async function usageSeries(
  db: Kysely<Database>,
  scope: UsageScope,
  range: { from: number; to: number },
  granularity: Granularity,
  closedThrough: number | null,
): Promise<UsageSeries> {
  const length = PERIOD_MS[granularity];
  const [kind, id] = 'keyId' in scope ? (['key', scope.keyId] as const) : (['project', scope.projectId] as const);
  const sums = new Map<number, UsagePoint>();
  for (const segment of coverRange(range.from, range.to, granularity, closedThrough)) {
    const [table, time] = TABLES[kind][segment.tier];
    const bucket = sql<number>`${sql.ref(time)} - (${sql.ref(time)} % ${sql.lit(length)})`;
    const rows = await db
      .selectFrom(table)
      .select([bucket.as('start'), ...COUNT_COLUMNS.map((count) => sql<number>`sum(${sql.ref(count)})`.as(count))])
      .where(kind === 'key' ? 'key_id' : 'project_id', '=', id)
      .where(sql.ref(time), '>=', segment.from)
      .where(sql.ref(time), '<', segment.to)
      .groupBy(sql`1`)
      .execute();
    for (const row of rows) addCounts(pointAt(sums, Number(row.start)), row);
  }
  const points: UsagePoint[] = [];
  for (let start = range.from; start < range.to; start += length) points.push(sums.get(start) ?? { start, ...zeroCounts() });
  return { granularity, from: range.from, to: range.to, points };
}

export interface RankedKey extends UsageCounts {
  keyId: string;
}

/**
 * A project's keys ranked by verifications over [from, to), most first (ties by
 * key id). The range is widened to the finest resolution kept at each end:
 * minutes within minute retention, else hours, else days; the answer says which.
 */
export async function topKeys(
  db: Kysely<Database>,
  projectId: string,
  from: number,
  to: number,
  first: number,
  kept: Record<Granularity, number>,
  closedThrough: number | null,
  slices: SliceRunner = unlimitedSlices,
): Promise<{ from: number; to: number; keys: RankedKey[] }> {
  const align = (at: number, round: typeof floorTo) => round(at, PERIOD_MS[at >= kept.MINUTE ? 'MINUTE' : at >= kept.HOUR ? 'HOUR' : 'DAY']);
  const range = { from: align(from, floorTo), to: align(to, ceilTo) };
  const sums = new Map<string, RankedKey>();
  // Read only where usage can be: a range of centuries would otherwise be millions of chunks.
  const span = await slices(() => usageSpan(db, projectId));
  if (!span) return { ...range, keys: [] };
  const readFrom = Math.max(range.from, floorTo(span.from, PERIOD_MS.DAY));
  const readTo = Math.min(range.to, ceilTo(span.to + 1, PERIOD_MS.DAY));
  for (const segment of coverRange(readFrom, readTo, 'DAY', closedThrough).flatMap(inChunks)) {
    const [table, time] = TABLES.key[segment.tier];
    // Rows grow with the project's keys times the range: one chunk per slice, so a large
    // project over months is many short statements between which other requests run.
    const rows = await slices(() =>
      db
        .selectFrom(table)
        .select(['key_id', ...COUNT_COLUMNS.map((count) => sql<number>`sum(${sql.ref(count)})`.as(count))])
        .$if(segment.tier !== 'MINUTE', (q) => q.where('project_id', '=', projectId))
        // Windows have no project index (usage-log-migration.ts): the project's keys, each by its own.
        .$if(segment.tier === 'MINUTE', (q) => q.where('key_id', 'in', (eb) => eb.selectFrom('api_keys').select('id').where('project_id', '=', projectId)))
        .where(sql.ref(time), '>=', segment.from)
        .where(sql.ref(time), '<', segment.to)
        .groupBy('key_id')
        .execute(),
    );
    for (const row of rows) {
      let key = sums.get(row.key_id);
      if (!key) sums.set(row.key_id, (key = { keyId: row.key_id, ...zeroCounts() }));
      addCounts(key, row);
    }
  }
  const keys = [...sums.values()].sort((a, b) => b.total - a.total || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0)).slice(0, first);
  return { ...range, keys };
}

/** From the earliest to the latest usage a project may have: its daily summaries, and the windows of all. */
async function usageSpan(db: Kysely<Database>, projectId: string): Promise<{ from: number; to: number } | null> {
  const days = await db
    .selectFrom('usage_key_days')
    .select((eb) => [eb.fn.min('day_start').as('from'), eb.fn.max('day_start').as('to')])
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  const windows = await db
    .selectFrom('usage_windows')
    .select((eb) => [eb.fn.min('window_start').as('from'), eb.fn.max('window_start').as('to')])
    .executeTakeFirst();
  const starts = [days?.from, windows?.from].filter((at) => at !== null && at !== undefined).map(Number);
  const ends = [days?.to, windows?.to].filter((at) => at !== null && at !== undefined).map(Number);
  return starts.length === 0 ? null : { from: Math.min(...starts), to: Math.max(...ends) + PERIOD_MS.DAY };
}

/** A week of days, a day of hours or an hour of windows per statement: at most one row per key and period. */
const CHUNK_MS: Record<Granularity, number> = { DAY: 7 * PERIOD_MS.DAY, HOUR: PERIOD_MS.DAY, MINUTE: PERIOD_MS.HOUR };

function inChunks(segment: UsageSegment): UsageSegment[] {
  const chunks: UsageSegment[] = [];
  for (let from = segment.from; from < segment.to; from += CHUNK_MS[segment.tier]) chunks.push({ ...segment, from, to: Math.min(segment.to, from + CHUNK_MS[segment.tier]) });
  return chunks;
}

/** A key's uses up to some moment: what api_keys holds, recomputed from the usage log. */
export interface KeyUsageTotals {
  count: number;
  lastValidAt: number | null;
  lastRejectedAt: number | null;
  lastRejectedCode: RejectionCode | null;
}

/**
 * Each key's uses in windows that started before `to`, summed over the coarsest
 * resolution kept for each stretch (keyIds null: every key). `to` must be aligned
 * to the resolution the caller can answer at (see asOfBoundary).
 */
export async function keyUsageTotals(db: Kysely<Database>, keyIds: readonly string[] | null, to: number, closedThrough: number | null): Promise<Map<string, KeyUsageTotals>> {
  const totals = new Map<string, KeyUsageTotals>();
  if (keyIds?.length === 0) return totals;
  for (const segment of coverRange(0, to, 'DAY', closedThrough)) {
    const [table, time] = TABLES.key[segment.tier];
    const lastRejected: RawBuilder<string | null> = sql`max(cast(last_rejected_at as text) || ':' || last_rejected_code)`;
    for (let i = 0; i < (keyIds?.length ?? 1); i += 500) {
      const rows = await db
        .selectFrom(table)
        .select(['key_id', sql<number>`sum(total)`.as('count'), sql<number | null>`max(last_valid_at)`.as('last_valid_at'), lastRejected.as('last_rejected')])
        .$if(keyIds !== null, (q) => q.where('key_id', 'in', keyIds!.slice(i, i + 500)))
        .where(sql.ref(time), '>=', segment.from)
        .where(sql.ref(time), '<', segment.to)
        .groupBy('key_id')
        .execute();
      for (const row of rows) addTotals(totals, row.key_id, Number(row.count), row.last_valid_at === null ? null : Number(row.last_valid_at), row.last_rejected);
    }
  }
  return totals;
}

function addTotals(totals: Map<string, KeyUsageTotals>, keyId: string, count: number, lastValidAt: number | null, lastRejected: string | null): void {
  let into = totals.get(keyId);
  if (!into) totals.set(keyId, (into = { count: 0, lastValidAt: null, lastRejectedAt: null, lastRejectedCode: null }));
  into.count += count;
  if (lastValidAt !== null && (into.lastValidAt === null || lastValidAt > into.lastValidAt)) into.lastValidAt = lastValidAt;
  if (lastRejected) {
    const [at, code] = lastRejected.split(':');
    if (into.lastRejectedAt === null || Number(at) > into.lastRejectedAt) {
      into.lastRejectedAt = Number(at);
      into.lastRejectedCode = code as RejectionCode;
    }
  }
}

/**
 * Up to where usage can be counted for a moment in the past: the last window
 * boundary while windows are kept, else the hour, else the day (the resolution
 * retention left for that moment).
 */
export function asOfBoundary(at: number, kept: Record<Granularity, number>, windowMs: number): { to: number; resolution: Granularity } {
  if (floorTo(at, PERIOD_MS.HOUR) >= kept.MINUTE && floorTo(at, PERIOD_MS.DAY) >= kept.HOUR) return { to: floorTo(at, windowMs), resolution: 'MINUTE' };
  if (floorTo(at, PERIOD_MS.DAY) >= kept.HOUR) return { to: floorTo(at, PERIOD_MS.HOUR), resolution: 'HOUR' };
  return { to: floorTo(at, PERIOD_MS.DAY), resolution: 'DAY' };
}

function pointAt(points: Map<number, UsagePoint>, start: number): UsagePoint {
  let point = points.get(start);
  if (!point) points.set(start, (point = { start, ...zeroCounts() }));
  return point;
}
