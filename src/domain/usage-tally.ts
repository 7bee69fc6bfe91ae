import type { KeyUsed, UsageOutcome } from '../../events/key-events';

/** Uses of one key by one actor within a flush window, kept as numbers until written. */
export interface UsageTally {
  keyId: string;
  projectId: string;
  actor: string;
  count: number;
  firstAt: number;
  lastAt: number;
  outcomes: Partial<Record<UsageOutcome, number>>;
  lastValidAt: number | null;
  lastRejectedAt: number | null;
  lastRejectedCode: Exclude<UsageOutcome, 'VALID'> | null;
}

export function newTally(keyId: string, projectId: string, actor: string, at: number): UsageTally {
  return { keyId, projectId, actor, count: 0, firstAt: at, lastAt: at, outcomes: {}, lastValidAt: null, lastRejectedAt: null, lastRejectedCode: null };
}

/** Adds one verification to a tally, in place: this runs on every verification. */
export function addUse(tally: UsageTally, outcome: UsageOutcome, at: number): void {
  tally.count++;
  if (at < tally.firstAt) tally.firstAt = at;
  if (at > tally.lastAt) tally.lastAt = at;
  tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + 1;
  if (outcome === 'VALID') {
    if (tally.lastValidAt === null || at >= tally.lastValidAt) tally.lastValidAt = at;
  } else if (tally.lastRejectedAt === null || at >= tally.lastRejectedAt) {
    tally.lastRejectedAt = at;
    tally.lastRejectedCode = outcome;
  }
}

/** Folds one tally into another of the same key and actor (a failed flush retried with newer uses). */
export function mergeTally(into: UsageTally, from: UsageTally): void {
  into.count += from.count;
  into.firstAt = Math.min(into.firstAt, from.firstAt);
  into.lastAt = Math.max(into.lastAt, from.lastAt);
  for (const [outcome, count] of Object.entries(from.outcomes) as [UsageOutcome, number][]) {
    into.outcomes[outcome] = (into.outcomes[outcome] ?? 0) + count;
  }
  if (from.lastValidAt !== null && (into.lastValidAt === null || from.lastValidAt > into.lastValidAt)) into.lastValidAt = from.lastValidAt;
  if (from.lastRejectedAt !== null && (into.lastRejectedAt === null || from.lastRejectedAt > into.lastRejectedAt)) {
    into.lastRejectedAt = from.lastRejectedAt;
    into.lastRejectedCode = from.lastRejectedCode;
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The event a tally becomes when its window is flushed. */
export function usageEvent(tally: UsageTally): KeyUsed {
  return {
    type: 'KeyUsed',
    data: {
      keyId: tally.keyId,
      projectId: tally.projectId,
      count: tally.count,
      firstAt: iso(tally.firstAt)!,
      lastAt: iso(tally.lastAt)!,
      outcomes: { ...tally.outcomes },
      lastValidAt: iso(tally.lastValidAt),
      lastRejectedAt: iso(tally.lastRejectedAt),
      lastRejectedCode: tally.lastRejectedCode,
    },
  };
}
