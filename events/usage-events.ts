// Usage has a log of its own (src/usage/): it can be pruned, while the chained
// log of lifecycle events (key-events.ts) is kept whole. Times here are epoch
// milliseconds: usage rows are many, and numbers are compact and sum directly.

/** The rejection codes a verification of an existing key can answer. */
export const REJECTION_CODES = ['INACTIVE', 'EXPIRED', 'DELETED'] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/** Verification counts by outcome: what every usage record and summary holds. */
export interface UsageCounts {
  total: number;
  valid: number;
  inactive: number;
  expired: number;
  deleted: number;
}

/**
 * KeyUsed, version 2: one record of the usage log. The verifications that
 * presented one key's secret, by one principal, within one usage window
 * (USAGE_WINDOW_SECONDS), as served by one instance. Who (principal) and where
 * (instance) are part of the record; when is the window. Version 1 was one
 * event in the chained log per flush (see KeyUsed in key-events.ts), folded
 * into this log by migration 0005.
 */
export interface UsageWindow extends UsageCounts {
  keyId: string;
  projectId: string;
  principal: string;
  instance: string;
  /** Epoch ms; a multiple of the window length. */
  windowStart: number;
  /** The latest accepted verification in the window (epoch ms), if any. */
  lastValidAt: number | null;
  lastRejectedAt: number | null;
  lastRejectedCode: RejectionCode | null;
}

/** The principal of a record merged from several (the usage buffer, when full, keeps one tally per key). */
export const MERGED_PRINCIPALS = '*';
