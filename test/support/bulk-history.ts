import { randomUUID } from 'node:crypto';
import type { KeyEvent } from '../../events/key-events';
import { lifecycleStreamId } from '../../events/streams';
import type { UsageWindow } from '../../events/usage-events';
import { projectEvents } from '../../projections/project-events';
import { generateSecret } from '../../src/secrets/api-key-secret';
import type { Db } from '../../src/store/database';
import { appendAtStreamEnds } from '../../src/store/event-store';
import { commitUsage } from '../../src/usage/commit-usage';

// A large history made quickly: real, chained events appended and projected by the
// store's own code, many to a transaction (a command per key would take minutes).

export interface BulkHistoryOptions {
  projectId: string;
  keys: number;
  /** Every n-th key is deactivated afterwards (0: none): a sparse filter for time travel. */
  deactivateEvery?: number;
  /** Usage windows per key (one a minute, back from now), in the usage log. */
  usagePerKey?: number;
  actor?: string;
}

export async function bulkHistory(db: Db, options: BulkHistoryOptions): Promise<{ keyIds: string[]; secrets: string[]; events: number }> {
  const { projectId, keys, deactivateEvery = 0, usagePerKey = 0, actor = 'bulk' } = options;
  const metadata = { actor, requestId: 'bulk', causationId: 'bulk', correlationId: 'bulk', clientAddress: null, userAgent: null };
  const keyIds: string[] = [];
  const secrets: string[] = [];
  const entries: { streamId: string; event: KeyEvent; metadata: typeof metadata }[] = [];
  for (let i = 0; i < keys; i++) {
    const keyId = randomUUID();
    const { secret, secretHash, maskedKey } = generateSecret('live');
    keyIds.push(keyId);
    secrets.push(secret);
    entries.push({
      streamId: lifecycleStreamId(keyId),
      event: { type: 'KeyGenerated', data: { keyId, projectId, name: `bulk ${i}`, environment: 'live', secretHash, maskedKey, expiresAt: null, rotatedFrom: null } },
      metadata,
    });
  }
  keyIds.forEach((keyId, i) => {
    if (deactivateEvery && i % deactivateEvery === 0) {
      entries.push({ streamId: lifecycleStreamId(keyId), event: { type: 'KeyDeactivated', data: { keyId, projectId, reason: 'bulk' } }, metadata });
    }
  });
  // A stream appears once per call of appendAtStreamEnds, so each chunk holds one event per stream.
  let events = 0;
  const chunks: (typeof entries)[] = [];
  let streams = new Set<string>();
  for (const entry of entries) {
    if (chunks.length === 0 || streams.has(entry.streamId) || chunks.at(-1)!.length >= 1000) {
      chunks.push([]);
      streams = new Set();
    }
    chunks.at(-1)!.push(entry);
    streams.add(entry.streamId);
  }
  for (const chunk of chunks) {
    await db.transaction().execute(async (trx) => {
      const stored = await appendAtStreamEnds(trx, chunk, new Date().toISOString());
      await projectEvents(trx, stored);
      events += stored.length;
    });
  }
  // Usage: one window per key for each of the last usagePerKey minutes, written as flushes write them.
  const now = Date.now();
  for (let n = 0; n < usagePerKey; n++) {
    const windowStart = Math.floor(now / 60_000 - n - 1) * 60_000;
    const windows: UsageWindow[] = keyIds.map((keyId) => ({
      keyId,
      projectId,
      principal: actor,
      instance: 'bulk',
      windowStart,
      total: 1,
      valid: 1,
      inactive: 0,
      expired: 0,
      deleted: 0,
      lastValidAt: windowStart + 1000,
      lastRejectedAt: null,
      lastRejectedCode: null,
    }));
    for (let i = 0; i < windows.length; i += 5000) await commitUsage(db, windows.slice(i, i + 5000), now);
  }
  return { keyIds, secrets, events };
}
