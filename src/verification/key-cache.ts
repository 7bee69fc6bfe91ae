import { LRUCache } from 'lru-cache';
import type { KeyStatus } from '../../events/key-events';

/** What verification needs of a key. */
export interface CachedKey {
  id: string;
  projectId: string;
  name: string;
  environment: string;
  status: KeyStatus;
  /** Epoch ms after which the key no longer verifies; null for never. */
  expiresAtMs: number | null;
}

/**
 * Keys by secret hash, so a verification of a known key touches no database.
 * Kept exact by the command side: every committed lifecycle event invalidates its
 * key. A fill that started before an invalidation is dropped (the epoch moved), so
 * a deactivation can never be overwritten by an older read.
 *
 * With several instances, changes made elsewhere arrive as notifications, and a
 * notification can be lost silently. So the cache may be trusted only up to a
 * moment (monotonic ms, performance.now()): each confirmation that the channel
 * delivered everything sent before some moment extends it (see change-notifications.ts).
 * Past it, every lookup misses and verification reads the database.
 */
export class KeyCache {
  /**
   * Least recently used first out: the keys gateways keep presenting stay cached. No
   * TTL: entries are kept exact by invalidation, expiry is judged on every
   * verification, and trust (below) is one moment for all entries, not one per entry.
   */
  private readonly byHash: LRUCache<string, CachedKey>;
  /** Which hash a key id is cached under, so a change to the key finds its entry. */
  private readonly hashById = new Map<string, string>();
  private epoch = 0;
  /** performance.now() up to which cached entries may answer; Infinity when this process sees every change. */
  private trustedUntil = Infinity;

  constructor(maxEntries = 100_000) {
    this.byHash = new LRUCache<string, CachedKey>({
      max: maxEntries,
      // Evicted, overwritten, deleted or cleared: the index must not outlive its entry
      // (or it would grow without bound). fill() re-indexes after an overwrite.
      dispose: (key, hash) => {
        if (this.hashById.get(key.id) === hash) this.hashById.delete(key.id);
      },
    });
  }

  get(hash: string): CachedKey | undefined {
    // Infinity (one process sees every change) skips the clock read on the hot path.
    return this.trustedUntil === Infinity || performance.now() <= this.trustedUntil ? this.byHash.get(hash) : undefined;
  }

  /** Keys held now (whether or not they may answer). */
  get size(): number {
    return this.byHash.size;
  }

  /** The epoch to hand back to fill(), taken before reading the database. */
  beginRead(): number {
    return this.epoch;
  }

  fill(hash: string, key: CachedKey, readEpoch: number): void {
    if (readEpoch !== this.epoch) return;
    // In this order: overwriting an entry (two misses for one key) disposes the old one,
    // which drops its index; indexing afterwards keeps the key invalidatable.
    this.byHash.set(hash, key);
    this.hashById.set(key.id, hash);
  }

  invalidate(keyId: string): void {
    this.epoch++;
    const hash = this.hashById.get(keyId);
    if (hash === undefined) return;
    this.byHash.delete(hash);
    this.hashById.delete(keyId);
  }

  /** Forget everything and answer from the cache only after the next confirm(): changes may have been missed. */
  distrust(): void {
    this.trustedUntil = -Infinity;
    this.clear();
  }

  /**
   * Every change committed before `confirmedAt` (performance.now() ms) has been
   * applied here, so entries may answer until `confirmedAt + staleMs`. If trust had
   * already lapsed, what is held is dropped first: it was not kept exact meanwhile.
   */
  confirm(confirmedAt: number, staleMs: number): void {
    if (performance.now() > this.trustedUntil) this.clear();
    this.trustedUntil = Math.max(this.trustedUntil === Infinity ? -Infinity : this.trustedUntil, confirmedAt + staleMs);
  }

  /** Whether cached entries answer now (false while changes could have been missed). */
  get trusted(): boolean {
    return performance.now() <= this.trustedUntil;
  }

  private clear(): void {
    this.epoch++;
    this.byHash.clear();
    this.hashById.clear();
  }
}
