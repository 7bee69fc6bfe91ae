import { lifecycleStreamId, usageStreamId } from '../../events/streams';
import type { StoredEvent } from '../../events/event-envelope';
import { foldApiKeyRow } from '../../projections/api-key-as-of';
import { statusAt } from '../domain/key-status';
import type { KeyStatus } from '../../events/key-events';
import type { Db } from '../store/database';
import { toStoredEvent } from '../store/event-store';
import type { ApiKeyFilter, ApiKeyRow } from './api-key-queries';

// Time travel: keys as they were at a moment, rebuilt from the log rather than
// read from the current projection. The projection serves only as the index of
// which keys a project has ever had (keys are never removed from it).

/** The keys among `keyIds` as they were at `asOf`; a key not yet generated then is absent. */
export async function findApiKeysAsOf(db: Db, keyIds: readonly string[], asOf: Date): Promise<Map<string, ApiKeyRow>> {
  if (keyIds.length === 0) return new Map();
  const streams = keyIds.flatMap((keyId) => [lifecycleStreamId(keyId), usageStreamId(keyId)]);
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('stream_id', 'in', streams)
    .where('recorded_at', '<=', asOf.toISOString())
    .orderBy('position')
    .execute();
  const byKey = new Map<string, StoredEvent[]>();
  for (const event of rows.map(toStoredEvent)) {
    byKey.set(event.data.keyId, [...(byKey.get(event.data.keyId) ?? []), event]);
  }
  const keys = new Map<string, ApiKeyRow>();
  for (const [keyId, events] of byKey) {
    const row = foldApiKeyRow(events);
    if (row) keys.set(keyId, { ...row, asOf });
  }
  return keys;
}

const CANDIDATE_BATCH = 200;

/**
 * A page of a project's keys as they were at `asOf`, newest first. Filters apply to
 * the keys as they were then, so candidates are rebuilt a batch at a time until the
 * page is full.
 */
export async function listProjectApiKeysAsOf(
  db: Db,
  projectId: string,
  filter: ApiKeyFilter,
  page: { limit: number; beforePosition: number | null },
  asOf: Date,
): Promise<ApiKeyRow[]> {
  const found: ApiKeyRow[] = [];
  let before = page.beforePosition;
  while (found.length < page.limit) {
    let query = db
      .selectFrom('api_keys')
      .select(['id', 'created_position'])
      .where('project_id', '=', projectId)
      .where('created_at', '<=', asOf.toISOString());
    if (before !== null) query = query.where('created_position', '<', before);
    const candidates = await query.orderBy('created_position', 'desc').limit(CANDIDATE_BATCH).execute();
    if (candidates.length === 0) break;
    const keys = await findApiKeysAsOf(db, candidates.map((candidate) => candidate.id), asOf);
    for (const candidate of candidates) {
      const key = keys.get(candidate.id);
      if (key && matchesFilter(key, filter, asOf) && found.length < page.limit) found.push(key);
    }
    before = Number(candidates.at(-1)!.created_position);
  }
  return found;
}

/** listProjectApiKeys' filter, on a row in memory; a test holds the two to the same answers. */
export function matchesFilter(key: ApiKeyRow, filter: ApiKeyFilter, at: Date): boolean {
  const status = statusAt(key.status as KeyStatus, key.expires_at, at.getTime());
  if (filter.status ? status !== filter.status : status === 'DELETED') return false;
  if (filter.environment && key.environment !== filter.environment) return false;
  if (filter.unusedSince && (key.last_used_at ?? key.created_at) >= filter.unusedSince.toISOString()) return false;
  if (filter.expiresBefore && (key.expires_at === null || key.expires_at >= filter.expiresBefore.toISOString())) return false;
  return true;
}
