import type { Granularity, UsagePoint } from './types';

// The ranges the usage chart offers, each with the finest points the API keeps for it.

export type PresetId = 'hour' | 'day' | 'month';

interface Preset {
  label: string;
  granularity: Granularity;
  /** The length of one point, in ms. Minutes, hours and UTC days all start on a multiple of it. */
  stepMs: number;
  points: number;
}

export const PRESETS: Record<PresetId, Preset> = {
  hour: { label: 'Last hour', granularity: 'MINUTE', stepMs: 60_000, points: 60 },
  day: { label: 'Last 24 hours', granularity: 'HOUR', stepMs: 3_600_000, points: 24 },
  month: { label: 'Last 30 days', granularity: 'DAY', stepMs: 86_400_000, points: 30 },
};

export const PRESET_IDS = Object.keys(PRESETS) as PresetId[];

interface UsageRange {
  from: string;
  to: string;
  granularity: Granularity;
}

/** The preset's range ending with the period that holds `now`, so the latest verifications are in it. */
export function rangeOf(id: PresetId, now: number): UsageRange {
  const { granularity, stepMs, points } = PRESETS[id];
  const end = Math.ceil((now + 1) / stepMs) * stepMs;
  return { from: new Date(end - points * stepMs).toISOString(), to: new Date(end).toISOString(), granularity };
}

interface UsageTotals {
  total: number;
  valid: number;
  rejected: number;
}

export function totalsOf(points: UsagePoint[]): UsageTotals {
  return points.reduce((sum, point) => ({ total: sum.total + point.total, valid: sum.valid + point.valid, rejected: sum.rejected + point.rejected }), {
    total: 0,
    valid: 0,
    rejected: 0,
  });
}

const count = new Intl.NumberFormat();

/** "1,234 verifications: 1,200 accepted, 34 refused." */
export function describeTotals({ total, valid, rejected }: UsageTotals): string {
  return `${count.format(total)} ${total === 1 ? 'verification' : 'verifications'}: ${count.format(valid)} accepted, ${count.format(rejected)} refused.`;
}

export function formatCount(value: number): string {
  return count.format(value);
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A point's start as people read it: days are UTC days (as the API counts them), minutes and hours in local time. */
export function formatPointStart(start: string, granularity: Granularity): string {
  return granularity === 'DAY' ? dayFormat.format(new Date(start)) : timeFormat.format(new Date(start));
}
