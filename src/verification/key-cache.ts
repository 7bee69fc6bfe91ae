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
  private byHash = new Map<string, CachedKey>();
  private hashById = new Map<string, string>();
  private epoch = 0;
  /** performance.now() up to which cached entries may answer; Infinity when this process sees every change. */
  private trustedUntil = Infinity;

  constructor(private readonly maxEntries = 100_000) {}

  get(hash: string): CachedKey | undefined {
    // Infinity (one process sees every change) skips the clock read on the hot path.
    return this.trustedUntil === Infinity || performance.now() <= this.trustedUntil ? this.byHash.get(hash) : undefined;
  }

  /** The epoch to hand back to fill(), taken before reading the database. */
  beginRead(): number {
    return this.epoch;
  }

  fill(hash: string, key: CachedKey, readEpoch: number): void {
    if (readEpoch !== this.epoch) return;
    if (this.byHash.size >= this.maxEntries) this.evictOldest();
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

  private evictOldest(): void {
    const oldest = this.byHash.entries().next().value;
    if (!oldest) return;
    this.byHash.delete(oldest[0]);
    this.hashById.delete(oldest[1].id);
  }
}
