import { ceilTo, DAY_MS, floorTo, type Granularity, HOUR_MS } from './usage-periods';

/** A stretch of time read from one resolution of the usage log. */
export interface UsageSegment {
  tier: Granularity;
  from: number;
  to: number;
}

const COARSE_TO_FINE: readonly Granularity[] = ['DAY', 'HOUR', 'MINUTE'];

/**
 * Which resolution answers which part of [from, to): the coarsest one that has
 * the whole of it, no coarser than `coarsest`. Daily summaries hold complete
 * days, hourly ones closed hours; windows hold everything not yet closed (and,
 * within their retention, what is). `closedThrough` is the end of the last
 * closed hour, null when none is. Pure: the queries and their tests share it.
 */
export function coverRange(from: number, to: number, coarsest: Granularity, closedThrough: number | null): UsageSegment[] {
  const tiers = COARSE_TO_FINE.slice(COARSE_TO_FINE.indexOf(coarsest));
  return cover(from, to, tiers, closedThrough ?? -Infinity);
}

function cover(from: number, to: number, tiers: readonly Granularity[], closed: number): UsageSegment[] {
  if (from >= to) return [];
  const [tier, ...finer] = tiers;
  if (tier === 'MINUTE' || tier === undefined) return [{ tier: 'MINUTE', from, to }];
  const length = tier === 'DAY' ? DAY_MS : HOUR_MS;
  const usableEnd = tier === 'DAY' && Number.isFinite(closed) ? floorTo(closed, DAY_MS) : closed;
  const start = ceilTo(from, length);
  const end = Math.min(floorTo(to, length), usableEnd);
  if (!(start < end)) return cover(from, to, finer, closed);
  return [...cover(from, start, finer, closed), { tier, from: start, to: end }, ...cover(end, to, finer, closed)];
}
