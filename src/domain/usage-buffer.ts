import type { UsageOutcome } from '../../events/key-events';
import { MERGED_PRINCIPALS, type UsageWindow } from '../../events/usage-events';

/** A usage record as the buffer holds it: which instance served it is stamped by whoever writes it. */
export type BufferedUsage = Omit<UsageWindow, 'instance'>;

export interface UsageBufferOptions {
  /** The usage window's length (USAGE_WINDOW_SECONDS × 1000); windows start at multiples of it. */
  windowMs: number;
  /** Most tallies held at once (default 100,000); see add(). */
  maxTallies?: number;
}

/** Tallies by principal, of one key in one window. */
type ByPrincipal = Map<string, BufferedUsage>;
/** One window's tallies, by key then principal. */
type ByKey = Map<string, ByPrincipal>;

interface KeyEntry {
  /** How many tallies of this key the buffer holds (over all windows and principals). */
  tallies: number;
  /** Its tally of merged principals, if it has one: where its uses go once the buffer is full. */
  merged: BufferedUsage | null;
}

/**
 * Verifications counted in memory until they are written: one tally per usage
 * window, key and principal. add() runs on every verification, so the common case
 * (a tally already exists) is three Map lookups and a few increments; nothing is
 * allocated and no key string is built. Pure: no clock, no timers, no I/O.
 *
 * Memory is bounded by maxTallies. When a new tally would pass it, every key's
 * tallies are first merged into one (principal MERGED_PRINCIPALS, the newest
 * window): counts survive, only who and which window blur. If every key already
 * has just one tally, uses of a key not held are counted in `dropped` instead.
 */
export class UsageBuffer {
  readonly windowMs: number;
  readonly maxTallies: number;
  private windows = new Map<number, ByKey>();
  private keys = new Map<string, KeyEntry>();
  /** The newest window each key was taken (to be written) in: a key written lately is not quiet. */
  private lastTaken = new Map<string, number>();
  /** The newest window any use was added to; stands in for "now" when forgetting old lastTaken entries. */
  private newestWindow = -Infinity;
  private tallyCount = 0;
  private droppedUses = 0;
  private compactionCount = 0;

  constructor(options: UsageBufferOptions) {
    if (!Number.isInteger(options.windowMs) || options.windowMs < 1) throw new RangeError('windowMs must be a positive whole number');
    this.windowMs = options.windowMs;
    this.maxTallies = Math.max(1, options.maxTallies ?? 100_000);
  }

  /** Tallies held now. */
  get size(): number {
    return this.tallyCount;
  }

  /** Uses not kept (the buffer was full) since takeDropped() last read them. */
  get dropped(): number {
    return this.droppedUses;
  }

  /** Returns the uses dropped since the last call, and starts counting again from zero. */
  takeDropped(): number {
    const dropped = this.droppedUses;
    this.droppedUses = 0;
    return dropped;
  }

  /** How many times the buffer has merged every key's tallies into one (since it was made). */
  get compactions(): number {
    return this.compactionCount;
  }

  /**
   * Counts one verification. Returns true when the use is "quiet": the key's first
   * in the buffer since it was last taken, and no use of it was taken in this
   * window or the one before. Such a use is worth writing soon, so that lastUsedAt
   * moves when a key comes back; any other use may wait for the window's end.
   */
  add(keyId: string, projectId: string, principal: string, outcome: UsageOutcome, at: number): boolean {
    const windowStart = at - (at % this.windowMs);
    const existing = this.windows.get(windowStart)?.get(keyId)?.get(principal);
    if (existing) {
      countUse(existing, outcome, at);
      return false;
    }
    if (windowStart > this.newestWindow) this.newestWindow = windowStart;
    const quiet = !this.keys.has(keyId) && !this.takenSince(keyId, windowStart - this.windowMs);
    const tally = this.slotFor(windowStart, keyId, projectId, principal);
    if (!tally) {
      this.droppedUses++;
      return false;
    }
    countUse(tally, outcome, at);
    return quiet;
  }

  /**
   * Removes and returns the tallies held: all of them, or only those of the given
   * keys. The caller writes them, and hands them back to putBack() if that fails.
   */
  take(filter?: { keys: ReadonlySet<string> }): BufferedUsage[] {
    const taken: BufferedUsage[] = [];
    if (!filter) {
      for (const byKey of this.windows.values()) for (const byPrincipal of byKey.values()) for (const tally of byPrincipal.values()) taken.push(tally);
      this.windows = new Map();
      this.keys = new Map();
      this.tallyCount = 0;
      this.forgetOldTakes();
    } else {
      for (const [windowStart, byKey] of this.windows) {
        for (const keyId of filter.keys) {
          const byPrincipal = byKey.get(keyId);
          if (!byPrincipal) continue;
          for (const tally of byPrincipal.values()) taken.push(tally);
          this.tallyCount -= byPrincipal.size;
          byKey.delete(keyId);
        }
        if (byKey.size === 0) this.windows.delete(windowStart);
      }
      for (const keyId of filter.keys) this.keys.delete(keyId);
    }
    for (const tally of taken) {
      const previous = this.lastTaken.get(tally.keyId);
      if (previous === undefined || tally.windowStart > previous) this.lastTaken.set(tally.keyId, tally.windowStart);
    }
    // Bounded whatever the pattern of takes: forgetting too much only makes a use look quiet (an early write).
    if (this.lastTaken.size > this.maxTallies) this.forgetOldTakes();
    if (this.lastTaken.size > this.maxTallies) this.lastTaken.clear();
    return taken;
  }

  /**
   * Takes back tallies whose write failed, so the next write retries them; each is
   * merged with any newer tally of the same window, key and principal. The cap
   * holds here too: what does not fit is merged per key, or counted as dropped.
   */
  putBack(tallies: readonly BufferedUsage[]): void {
    for (const from of tallies) {
      const tally = this.slotFor(from.windowStart, from.keyId, from.projectId, from.principal);
      if (tally) mergeTally(tally, from);
      else this.droppedUses += from.total;
    }
  }

  private takenSince(keyId: string, windowStart: number): boolean {
    const taken = this.lastTaken.get(keyId);
    return taken !== undefined && taken >= windowStart;
  }

  /** Takes older than the previous window can no longer keep a use from being quiet. */
  private forgetOldTakes(): void {
    const horizon = this.newestWindow - this.windowMs;
    for (const [keyId, windowStart] of this.lastTaken) if (windowStart < horizon) this.lastTaken.delete(keyId);
  }

  /** The tally a use of this window, key and principal is counted in, or null when the buffer has no room for it. */
  private slotFor(windowStart: number, keyId: string, projectId: string, principal: string): BufferedUsage | null {
    const exact = this.windows.get(windowStart)?.get(keyId)?.get(principal);
    if (exact) return exact;
    // A merged key stays merged until taken: new tallies for it would only make room for the next compaction to
    // reclaim, and compacting again and again (all tallies each time) is what a full buffer cannot afford.
    let entry = this.keys.get(keyId);
    if (entry?.merged) return this.moveForward(entry, windowStart);
    if (this.tallyCount < this.maxTallies) return this.insert(newTally(windowStart, keyId, projectId, principal));
    if (this.tallyCount > this.keys.size) {
      this.compact();
      entry = this.keys.get(keyId);
      if (entry?.merged) return this.moveForward(entry, windowStart);
      if (this.tallyCount < this.maxTallies) return this.insert(newTally(windowStart, keyId, projectId, principal));
    }
    // Every key has a single tally: this key's, if it has one, now stands for all its principals.
    if (entry) return this.moveForward(this.mergeOnly(keyId, entry), windowStart);
    return null;
  }

  private insert(tally: BufferedUsage): BufferedUsage {
    let byKey = this.windows.get(tally.windowStart);
    if (!byKey) this.windows.set(tally.windowStart, (byKey = new Map()));
    let byPrincipal = byKey.get(tally.keyId);
    if (!byPrincipal) byKey.set(tally.keyId, (byPrincipal = new Map()));
    byPrincipal.set(tally.principal, tally);
    this.tallyCount++;
    const entry = this.keys.get(tally.keyId);
    if (entry) entry.tallies++;
    else this.keys.set(tally.keyId, { tallies: 1, merged: null });
    if (tally.principal === MERGED_PRINCIPALS) this.keys.get(tally.keyId)!.merged ??= tally;
    return tally;
  }

  private remove(tally: BufferedUsage): void {
    const byKey = this.windows.get(tally.windowStart)!;
    const byPrincipal = byKey.get(tally.keyId)!;
    byPrincipal.delete(tally.principal);
    if (byPrincipal.size === 0) byKey.delete(tally.keyId);
    if (byKey.size === 0) this.windows.delete(tally.windowStart);
    this.tallyCount--;
    const entry = this.keys.get(tally.keyId)!;
    if (--entry.tallies === 0) this.keys.delete(tally.keyId);
    else if (entry.merged === tally) entry.merged = null;
  }

  /** A merged tally carries the newest window of the uses in it. */
  private moveForward(entry: KeyEntry, windowStart: number): BufferedUsage {
    const merged = entry.merged!;
    if (windowStart <= merged.windowStart) return merged;
    const keyId = merged.keyId;
    this.remove(merged);
    merged.windowStart = windowStart;
    const there = this.windows.get(windowStart)?.get(keyId)?.get(MERGED_PRINCIPALS);
    if (!there) return this.insert(merged);
    // A merged tally put back after a failed write may already sit in that window.
    mergeTally(there, merged);
    this.keys.get(keyId)!.merged = there;
    return there;
  }

  /** Relabels a key's only tally as its merged one. */
  private mergeOnly(keyId: string, entry: KeyEntry): KeyEntry {
    for (const byKey of this.windows.values()) {
      const byPrincipal = byKey.get(keyId);
      if (!byPrincipal) continue;
      const only = byPrincipal.values().next().value!;
      byPrincipal.delete(only.principal);
      only.principal = MERGED_PRINCIPALS;
      byPrincipal.set(MERGED_PRINCIPALS, only);
      entry.merged = only;
      break;
    }
    return entry;
  }

  /** Merges every key's tallies into one, in the newest of its windows. */
  private compact(): void {
    const merged = new Map<string, BufferedUsage>();
    for (const byKey of this.windows.values()) {
      for (const [keyId, byPrincipal] of byKey) {
        for (const tally of byPrincipal.values()) {
          const into = merged.get(keyId);
          if (!into) merged.set(keyId, { ...tally, principal: MERGED_PRINCIPALS });
          else {
            mergeTally(into, tally);
            if (tally.windowStart > into.windowStart) into.windowStart = tally.windowStart;
          }
        }
      }
    }
    this.windows = new Map();
    this.keys = new Map();
    this.tallyCount = 0;
    for (const tally of merged.values()) this.insert(tally);
    this.compactionCount++;
  }
}

function newTally(windowStart: number, keyId: string, projectId: string, principal: string): BufferedUsage {
  return {
    keyId,
    projectId,
    principal,
    windowStart,
    total: 0,
    valid: 0,
    inactive: 0,
    expired: 0,
    deleted: 0,
    lastValidAt: null,
    lastRejectedAt: null,
    lastRejectedCode: null,
  };
}

function countUse(tally: BufferedUsage, outcome: UsageOutcome, at: number): void {
  tally.total++;
  switch (outcome) {
    case 'VALID':
      tally.valid++;
      if (tally.lastValidAt === null || at > tally.lastValidAt) tally.lastValidAt = at;
      return;
    case 'INACTIVE':
      tally.inactive++;
      break;
    case 'EXPIRED':
      tally.expired++;
      break;
    case 'DELETED':
      tally.deleted++;
      break;
  }
  // Uses can arrive slightly out of order; the latest rejection wins, a tie goes to the later call.
  if (tally.lastRejectedAt === null || at >= tally.lastRejectedAt) {
    tally.lastRejectedAt = at;
    tally.lastRejectedCode = outcome;
  }
}

/** Adds one tally's counts and latest times into another's (its key, principal and window stay). */
function mergeTally(into: BufferedUsage, from: BufferedUsage): void {
  into.total += from.total;
  into.valid += from.valid;
  into.inactive += from.inactive;
  into.expired += from.expired;
  into.deleted += from.deleted;
  if (from.lastValidAt !== null && (into.lastValidAt === null || from.lastValidAt > into.lastValidAt)) into.lastValidAt = from.lastValidAt;
  if (from.lastRejectedAt !== null && (into.lastRejectedAt === null || from.lastRejectedAt >= into.lastRejectedAt)) {
    into.lastRejectedAt = from.lastRejectedAt;
    into.lastRejectedCode = from.lastRejectedCode;
  }
}
