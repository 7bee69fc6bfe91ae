import type { StoredEvent } from '../../events/event-envelope';
import { lifecycleStreamId } from '../../events/streams';
import { foldApiKeyRow, type UsageTotals } from '../../projections/api-key-as-of';
import { statusAt } from '../domain/key-status';
import { type SliceRunner, unlimitedSlices } from '../server/heavy-work';
import type { Db } from '../store/database';
import { toStoredEvent } from '../store/event-store';
import { heldFrom, readBooksState } from '../usage/usage-books-state';
import { asOfBoundary, keyUsageTotals } from '../usage/usage-queries';
import type { ApiKeyFilter, ApiKeyRow } from './api-key-queries';

// Time travel: keys as they were at a moment, rebuilt from the log rather than
// read from the current projection. The projection serves only as the index of
// which keys a project has ever had (keys are never removed from it).

/**
 * Keys folded per step: a page of 100 and its look-ahead row, so a page costs
 * a few statements (candidates, lifecycle events, the books, usage totals by resolution).
 */
const FOLD_CHUNK = 101;

/**
 * The keys among `keyIds` as they were at `asOf`; a key not yet generated then is
 * absent. Lifecycle events (a handful per key) are folded in memory; usage is
 * added up by the database from the usage log's summaries and windows.
 * Runs as slices of FOLD_CHUNK keys, each statement its own slice, so the event
 * loop turns (and other requests run) between them; a server passes its
 * heavy-work limiter as `slices`.
 */
export async function findApiKeysAsOf(
  db: Db,
  keyIds: readonly string[],
  asOf: Date,
  slices: SliceRunner = unlimitedSlices,
  settings: AsOfUsageSettings = DEFAULT_AS_OF_USAGE(),
): Promise<Map<string, ApiKeyRow>> {
  const keys = new Map<string, ApiKeyRow>();
  for (let i = 0; i < keyIds.length; i += FOLD_CHUNK) {
    for (const [keyId, row] of await foldChunk(db, keyIds.slice(i, i + FOLD_CHUNK), asOf, slices, settings)) keys.set(keyId, row);
  }
  return keys;
}

async function foldChunk(db: Db, keyIds: readonly string[], asOf: Date, slices: SliceRunner, settings: AsOfUsageSettings): Promise<Map<string, ApiKeyRow>> {
  const until = asOf.toISOString();
  const lifecycle = await slices(async () => {
    const rows = await db.selectFrom('events').selectAll().where('stream_id', 'in', keyIds.map(lifecycleStreamId)).where('recorded_at', '<=', until).orderBy('position').execute();
    const byKey = new Map<string, StoredEvent[]>();
    // Lifecycle streams hold key events only.
    for (const event of rows.map(toStoredEvent) as StoredEvent[]) {
      const events = byKey.get(event.data.keyId);
      if (events) events.push(event);
      else byKey.set(event.data.keyId, [event]);
    }
    return byKey;
  });
  if (lifecycle.size === 0) return new Map();
  const usage = await usageTotalsAsOf(db, [...lifecycle.keys()], asOf, slices, settings);
  const keys = new Map<string, ApiKeyRow>();
  for (const [keyId, events] of lifecycle) {
    const row = foldApiKeyRow(events, usage.get(keyId) ?? null);
    if (row) keys.set(keyId, { ...row, asOf });
  }
  return keys;
}

/** The usage window's length: time travel counts usage by whole windows. */
export interface AsOfUsageSettings {
  windowMs: number;
}

const DEFAULT_AS_OF_USAGE = (): AsOfUsageSettings => ({ windowMs: 60_000 });

/**
 * Each key's uses up to `asOf`, from the finest resolution the usage log still
 * holds for that moment: windows that ended by asOf, else whole hours, else whole
 * days (asOfBoundary). A few index ranges per resolution, in one slice.
 */
async function usageTotalsAsOf(db: Db, keyIds: string[], asOf: Date, slices: SliceRunner, settings: AsOfUsageSettings): Promise<Map<string, UsageTotals>> {
  return slices(async () => {
    const books = await readBooksState(db);
    const { to } = asOfBoundary(asOf.getTime(), heldFrom(books), settings.windowMs);
    const totals = new Map<string, UsageTotals>();
    for (const [keyId, usage] of await keyUsageTotals(db, keyIds, to, books.closedThrough)) {
      totals.set(keyId, { count: usage.count, lastValidAt: iso(usage.lastValidAt), lastRejectedAt: iso(usage.lastRejectedAt), lastRejectedCode: usage.lastRejectedCode });
    }
    return totals;
  });
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

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
  settings: AsOfUsageSettings = DEFAULT_AS_OF_USAGE(),
): Promise<ApiKeyRow[]> {
  const found: ApiKeyRow[] = [];
  const at = asOf.toISOString();
  let before = page.beforePosition;
  // Rebuild as many keys as the page needs; if a filter drops some, twice as many next time.
  let batch = page.limit;
  while (found.length < page.limit) {
    let query = db.selectFrom('api_keys').select(['id', 'created_position']).where('project_id', '=', projectId).where('created_at', '<=', at);
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
    const keys = await findApiKeysAsOf(
      db,
      candidates.map((candidate) => candidate.id),
      asOf,
      slices,
      settings,
    );
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
  const status = statusAt(key.status, key.expires_at, at.getTime());
  if (filter.status ? status !== filter.status : status === 'DELETED') return false;
  if (filter.environment && key.environment !== filter.environment) return false;
  if (filter.unusedSince && (key.last_used_at ?? key.created_at) >= filter.unusedSince.toISOString()) return false;
  if (filter.expiresBefore && (key.expires_at === null || key.expires_at >= filter.expiresBefore.toISOString())) return false;
  return true;
}
