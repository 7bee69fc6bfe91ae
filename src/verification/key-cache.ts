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
 */
export class KeyCache {
  private byHash = new Map<string, CachedKey>();
  private hashById = new Map<string, string>();
  private epoch = 0;
  /** Off while changes could be missed (a lost change listener): every read goes to the database. */
  private enabled = true;

  constructor(private readonly maxEntries = 100_000) {}

  get(hash: string): CachedKey | undefined {
    return this.enabled ? this.byHash.get(hash) : undefined;
  }

  /** The epoch to hand back to fill(), taken before reading the database. */
  beginRead(): number {
    return this.epoch;
  }

  fill(hash: string, key: CachedKey, readEpoch: number): void {
    if (readEpoch !== this.epoch || !this.enabled) return;
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

  /** Forget everything and stop caching until enable(): changes may have been missed. */
  disable(): void {
    this.enabled = false;
    this.epoch++;
    this.byHash.clear();
    this.hashById.clear();
  }

  enable(): void {
    this.epoch++;
    this.byHash.clear();
    this.hashById.clear();
    this.enabled = true;
  }

  private evictOldest(): void {
    const oldest = this.byHash.entries().next().value;
    if (!oldest) return;
    this.byHash.delete(oldest[0]);
    this.hashById.delete(oldest[1].id);
  }
}
