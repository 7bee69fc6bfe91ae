// Usage is counted in windows and summarised by hour and day, all in UTC.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export type Granularity = 'MINUTE' | 'HOUR' | 'DAY';
export const GRANULARITIES: readonly Granularity[] = ['MINUTE', 'HOUR', 'DAY'];

export const PERIOD_MS: Record<Granularity, number> = { MINUTE: MINUTE_MS, HOUR: HOUR_MS, DAY: DAY_MS };

/** The start of the period of `length` ms that contains `at`. */
export function floorTo(at: number, length: number): number {
  return at - (((at % length) + length) % length);
}

/** The first period boundary at or after `at`. */
export function ceilTo(at: number, length: number): number {
  const floor = floorTo(at, length);
  return floor === at ? at : floor + length;
}
