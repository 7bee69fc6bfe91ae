import type { UsageCounts } from './usage-events';

// Facts about the usage log recorded in the chained log, so the integrity check
// covers usage that is kept and still verifies after old usage is pruned.

/** The stream the books events are appended to, one after another. */
export const USAGE_BOOKS_STREAM = 'usage-books';

/** How many rows a table held for a period, and the SHA-256 over them in primary-key order (usage-digest.ts). */
export interface RowsDigest {
  rows: number;
  sha256: string;
}

/**
 * Usage from `from` to `to` (ISO, hour boundaries) is closed: no later flush
 * writes into it, its windows were folded into hourly summaries (and, for each
 * day it completed, daily ones). The digests cover every usage row of the period.
 */
export interface UsageHourClosed {
  type: 'UsageHourClosed';
  data: {
    from: string;
    to: string;
    windows: RowsDigest;
    projectWindows: RowsDigest;
    keyHours: RowsDigest;
    projectHours: RowsDigest;
    /** Days this closing completed, with digests of their daily summaries. */
    days: { day: string; keyDays: RowsDigest; projectDays: RowsDigest }[];
    totals: UsageCounts;
  };
}

/** Usage rows of one resolution before `before` (ISO, a day boundary) were released by retention. */
export interface UsagePruned {
  type: 'UsagePruned';
  data: { resolution: 'MINUTE' | 'HOUR'; before: string; retentionDays: number };
}

export type BooksEvent = UsageHourClosed | UsagePruned;
