import type { Kysely } from 'kysely';
import { USAGE_BOOKS_STREAM, type UsageHourClosed, type UsagePruned } from '../../events/books-events';
import type { Database } from '../store/schema';
import { DAY_MS, type Granularity } from './usage-periods';

/** What the books say: how far usage is closed, and where retention has cut each resolution. */
export interface UsageBooksState {
  /** End of the last closed hour (epoch ms); null before the first closing. */
  closedThrough: number | null;
  /** Rows of each resolution before these times were released (0: none yet). */
  prunedBefore: { MINUTE: number; HOUR: number };
}

/** How many days each resolution is kept (USAGE_RETENTION_*); daily summaries are kept forever. */
export interface UsageRetention {
  minuteDays: number;
  hourDays: number;
}

export const DEFAULT_USAGE_RETENTION: UsageRetention = { minuteDays: 2, hourDays: 90 };

/** Three index lookups at the end of the books stream. */
export async function readBooksState(db: Kysely<Database>): Promise<UsageBooksState> {
  const latest = async (type: string, resolution?: string) => {
    let query = db.selectFrom('events').select('data').where('stream_id', '=', USAGE_BOOKS_STREAM).where('type', '=', type);
    if (resolution) query = query.where('data', 'like', `%"resolution":"${resolution}"%`);
    const row = await query.orderBy('stream_version', 'desc').limit(1).executeTakeFirst();
    return row ? JSON.parse(row.data) : null;
  };
  const closed = (await latest('UsageHourClosed')) as UsageHourClosed['data'] | null;
  const minute = (await latest('UsagePruned', 'MINUTE')) as UsagePruned['data'] | null;
  const hour = (await latest('UsagePruned', 'HOUR')) as UsagePruned['data'] | null;
  return {
    closedThrough: closed ? Date.parse(closed.to) : null,
    prunedBefore: { MINUTE: minute ? Date.parse(minute.before) : 0, HOUR: hour ? Date.parse(hour.before) : 0 },
  };
}

/** From when each resolution is still held: whatever retention has not released yet. */
export function heldFrom(state: UsageBooksState): Record<Granularity, number> {
  return { MINUTE: state.prunedBefore.MINUTE, HOUR: state.prunedBefore.HOUR, DAY: -Infinity };
}

/**
 * From when each resolution can be asked for: its retention back from now, and
 * never before what was pruned. Daily summaries go back to the first use.
 */
export function keptFrom(state: UsageBooksState, retention: UsageRetention, now: number): Record<Granularity, number> {
  return {
    MINUTE: Math.max(now - retention.minuteDays * DAY_MS, state.prunedBefore.MINUTE),
    HOUR: Math.max(now - retention.hourDays * DAY_MS, state.prunedBefore.HOUR),
    DAY: -Infinity,
  };
}
