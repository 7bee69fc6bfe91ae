import { lifecycleStreamId, usageStreamId } from '../../events/streams';
import type { StoredEvent } from '../../events/event-envelope';
import { foldApiKeyRow, type UsageTotals } from '../../projections/api-key-as-of';
import { sql } from 'kysely';
import { jsonInteger, jsonText } from './json-fields';
import { statusAt } from '../domain/key-status';
import type { KeyStatus } from '../../events/key-events';
import type { Db } from '../store/database';
import { unlimitedSlices, type SliceRunner } from '../server/heavy-work';
import { toStoredEvent } from '../store/event-store';
import type { ApiKeyFilter, ApiKeyRow } from './api-key-queries';

// Time travel: keys as they were at a moment, rebuilt from the log rather than
// read from the current projection. The projection serves only as the index of
// which keys a project has ever had (keys are never removed from it).

/**
 * Keys folded per step: a page of 100 and its look-ahead row, so a page costs
 * three statements (candidates, lifecycle events, usage totals) unless its keys
 * have many usage windows; then usage takes more statements, each as short.
 */
const FOLD_CHUNK = 101;

/**
 * The keys among `keyIds` as they were at `asOf`; a key not yet generated then is
 * absent. Lifecycle events (a handful per key) are folded in memory; usage events
 * (one per flush window, so possibly very many) are added up by the database, a
 * bounded page of rows per statement.
 * Runs as slices of FOLD_CHUNK keys, each statement its own slice, so the event
 * loop turns (and other requests run) between them; a server passes its
 * heavy-work limiter as `slices`.
 */
export async function findApiKeysAsOf(db: Db, keyIds: readonly string[], asOf: Date, slices: SliceRunner = unlimitedSlices): Promise<Map<string, ApiKeyRow>> {
  const keys = new Map<string, ApiKeyRow>();
  for (let i = 0; i < keyIds.length; i += FOLD_CHUNK) {
    for (const [keyId, row] of await foldChunk(db, keyIds.slice(i, i + FOLD_CHUNK), asOf, slices)) keys.set(keyId, row);
  }
  return keys;
}

async function foldChunk(db: Db, keyIds: readonly string[], asOf: Date, slices: SliceRunner): Promise<Map<string, ApiKeyRow>> {
  const until = asOf.toISOString();
  const lifecycle = await slices(async () => {
    const rows = await db
      .selectFrom('events')
      .selectAll()
      .where('stream_id', 'in', keyIds.map(lifecycleStreamId))
      .where('recorded_at', '<=', until)
      .orderBy('position')
      .execute();
    const byKey = new Map<string, StoredEvent[]>();
    for (const event of rows.map(toStoredEvent)) {
      const events = byKey.get(event.data.keyId);
      if (events) events.push(event);
      else byKey.set(event.data.keyId, [event]);
    }
    return byKey;
  });
  if (lifecycle.size === 0) return new Map();
  const usage = await usageTotalsAsOf(db, [...lifecycle.keys()], until, slices);
  const keys = new Map<string, ApiKeyRow>();
  for (const [keyId, events] of lifecycle) {
    const row = foldApiKeyRow(events, usage.get(keyId) ?? null);
    if (row) keys.set(keyId, { ...row, asOf });
  }
  return keys;
}

/** Usage events read per statement: a few milliseconds of work, however busy the keys were. */
const USAGE_PAGE_ROWS = 2000;

/**
 * Sums of the KeyUsed events of each key's usage stream recorded up to `until`.
 * A busy key has one event per usage window (thousands a day), so its events are
 * read a page at a time, in the unique index's (stream, version) order, each page
 * its own slice: one statement for quiet keys, many short ones for busy keys,
 * never one long one that would hold the event loop. The database extracts the
 * JSON fields; the sums are taken here.
 */
async function usageTotalsAsOf(db: Db, keyIds: string[], until: string, slices: SliceRunner): Promise<Map<string, UsageTotals>> {
  const keyOfStream = new Map(keyIds.map((keyId) => [usageStreamId(keyId), keyId]));
  const totals = new Map<string, UsageTotals>();
  // Streams not read yet; and the one a full page stopped inside, with the last version read.
  let pending = [...keyOfStream.keys()];
  let partial: { streamId: string; afterVersion: number } | null = null;
  while (partial || pending.length > 0) {
    const rows = await slices(() => usagePage(db, partial ?? pending, until));
    for (const row of rows) addUsage(totals, keyOfStream.get(row.stream_id)!, row);
    if (rows.length < USAGE_PAGE_ROWS) {
      if (partial) partial = null;
      else pending = [];
      continue;
    }
    // Only the page's last stream can have more rows; the others it holds are done.
    const last = rows.at(-1)!;
    if (!partial) {
      const seen = new Set(rows.map((row) => row.stream_id));
      pending = pending.filter((streamId) => !seen.has(streamId));
    }
    partial = { streamId: last.stream_id, afterVersion: Number(last.stream_version) };
  }
  return totals;
}

interface UsageRow {
  stream_id: string;
  stream_version: number;
  count: number;
  lastValidAt: string | null;
  lastRejected: string | null;
}

/** The next page of usage rows: of whole streams, or of one stream after a version. */
function usagePage(db: Db, from: string[] | { streamId: string; afterVersion: number }, until: string): Promise<UsageRow[]> {
  // Times are fixed-width ISO strings, so the greatest "time|code" holds the code of the latest rejection.
  const rejected = sql<string | null>`${jsonText(db, 'data', 'lastRejectedAt')} || '|' || ${jsonText(db, 'data', 'lastRejectedCode')}`;
  let rows = db
    .selectFrom('events')
    .select([
      'stream_id',
      'stream_version',
      jsonInteger(db, 'data', 'count').as('count'),
      jsonText(db, 'data', 'lastValidAt').as('lastValidAt'),
      rejected.as('lastRejected'),
    ])
    .where('recorded_at', '<=', until);
  rows = Array.isArray(from)
    ? rows.where('stream_id', 'in', from)
    : rows.where('stream_id', '=', from.streamId).where('stream_version', '>', from.afterVersion);
  return rows.orderBy('stream_id').orderBy('stream_version').limit(USAGE_PAGE_ROWS).execute();
}

function addUsage(totals: Map<string, UsageTotals>, keyId: string, row: UsageRow): void {
  const [lastRejectedAt = null, lastRejectedCode = null] = row.lastRejected ? row.lastRejected.split('|') : [];
  let seen = totals.get(keyId);
  if (!seen) totals.set(keyId, (seen = { count: 0, lastValidAt: null, lastRejectedAt: null, lastRejectedCode: null }));
  seen.count += Number(row.count);
  if (row.lastValidAt && (!seen.lastValidAt || row.lastValidAt > seen.lastValidAt)) seen.lastValidAt = row.lastValidAt;
  if (lastRejectedAt && (!seen.lastRejectedAt || lastRejectedAt > seen.lastRejectedAt)) {
    seen.lastRejectedAt = lastRejectedAt;
    seen.lastRejectedCode = lastRejectedCode;
  }
}

/**
 * Most candidates rebuilt per round. Small, so a sparse filter costs many short
 * rounds (each a few slices) rather than a few long statements.
 */
const MAX_CANDIDATE_BATCH = 100;

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
  slices: SliceRunner = unlimitedSlices,
): Promise<ApiKeyRow[]> {
  const found: ApiKeyRow[] = [];
  const at = asOf.toISOString();
  let before = page.beforePosition;
  // Rebuild as many keys as the page needs; if a filter drops some, twice as many next time.
  let batch = page.limit;
  while (found.length < page.limit) {
    let query = db
      .selectFrom('api_keys')
      .select(['id', 'created_position'])
      .where('project_id', '=', projectId)
      .where('created_at', '<=', at);
    if (before !== null) query = query.where('created_position', '<', before);
    // What today's row already rules out: deletion is final, the environment never
    // changes, and a key's expiry only ever moves earlier (a roll).
    if (filter.environment) query = query.where('environment', '=', filter.environment);
    if (filter.status === 'DELETED') query = query.where('deleted_at', '<=', at);
    else query = query.where((eb) => eb.or([eb('deleted_at', 'is', null), eb('deleted_at', '>', at)]));
    if (filter.status === 'EXPIRED') query = query.where('expires_at', '<=', at);
    if (filter.expiresBefore) query = query.where('expires_at', '<', filter.expiresBefore.toISOString());
    const candidates = await slices(() => query.orderBy('created_position', 'desc').limit(batch).execute());
    if (candidates.length === 0) break;
    const keys = await findApiKeysAsOf(db, candidates.map((candidate) => candidate.id), asOf, slices);
    for (const candidate of candidates) {
      const key = keys.get(candidate.id);
      if (key && matchesFilter(key, filter, asOf) && found.length < page.limit) found.push(key);
    }
    if (candidates.length < batch) break;
    before = Number(candidates.at(-1)!.created_position);
    batch = Math.min(batch * 2, MAX_CANDIDATE_BATCH);
  }
  return found;
}

/** listProjectApiKeys' filter, on a row in memory; a test holds the two to the same answers. */
function matchesFilter(key: ApiKeyRow, filter: ApiKeyFilter, at: Date): boolean {
  const status = statusAt(key.status as KeyStatus, key.expires_at, at.getTime());
  if (filter.status ? status !== filter.status : status === 'DELETED') return false;
  if (filter.environment && key.environment !== filter.environment) return false;
  if (filter.unusedSince && (key.last_used_at ?? key.created_at) >= filter.unusedSince.toISOString()) return false;
  if (filter.expiresBefore && (key.expires_at === null || key.expires_at >= filter.expiresBefore.toISOString())) return false;
  return true;
}
