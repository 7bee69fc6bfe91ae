import { randomUUID } from 'node:crypto';
import type { KeyEvent } from '../../events/key-events';
import { lifecycleStreamId, usageStreamId } from '../../events/streams';
import { projectEvents } from '../../projections/project-events';
import { generateSecret } from '../../src/secrets/api-key-secret';
import type { Db } from '../../src/store/database';
import { appendAtStreamEnds } from '../../src/store/event-store';

// A large history made quickly: real, chained events appended and projected by the
// store's own code, many to a transaction (a command per key would take minutes).

export interface BulkHistoryOptions {
  projectId: string;
  keys: number;
  /** Every n-th key is deactivated afterwards (0: none): a sparse filter for time travel. */
  deactivateEvery?: number;
  /** KeyUsed windows per key. */
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
  const at = new Date().toISOString();
  for (let n = 0; n < usagePerKey; n++) {
    for (const keyId of keyIds) {
      const data = { keyId, projectId, count: 1, firstAt: at, lastAt: at, outcomes: { VALID: 1 }, lastValidAt: at, lastRejectedAt: null, lastRejectedCode: null };
      entries.push({ streamId: usageStreamId(keyId), event: { type: 'KeyUsed', data } as KeyEvent, metadata });
    }
  }
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
  return { keyIds, secrets, events };
}
