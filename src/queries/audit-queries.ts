import { type Selectable, sql } from 'kysely';
import { LIFECYCLE_EVENT_TYPES } from '../../events/key-events';
import { type SliceRunner, unlimitedSlices } from '../server/heavy-work';
import type { Db } from '../store/database';
import type { AuditEventsTable } from '../store/schema';

export type AuditEventRow = Selectable<AuditEventsTable>;

export interface AuditFilter {
  projectId?: string;
  keyId?: string;
  /** Only these types (the log holds lifecycle events only: other types match nothing). */
  types?: readonly string[] | null;
  actor?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** Rows in the order of the positions asked for; null where there is none. */
export async function findAuditEventsByPositions(db: Db, positions: readonly number[]): Promise<(AuditEventRow | null)[]> {
  const valid = positions.filter(Number.isSafeInteger);
  const rows = valid.length ? await db.selectFrom('audit_events').selectAll().where('position', 'in', valid).execute() : [];
  const byPosition = new Map(rows.map((row) => [row.position, row]));
  return positions.map((position) => byPosition.get(position) ?? null);
}

/** Rows looked at per statement when a filter has no index: a few milliseconds however large the log. */
const SCAN_ROWS = 2000;

/**
 * A page of audit events, newest first, by keyset on the log position. Project
 * and key are served by indexes. The other filters (types, actor, time
 * range) are not: a rare actor in a project of a million events would be one
 * statement reading them all, holding the event loop (better-sqlite3 is
 * synchronous). So those are scanned a bounded window at a time along the index,
 * newest first, each window its own slice, until the page is full or the log ends.
 */
export async function listAuditEvents(
  db: Db,
  filter: AuditFilter,
  page: { limit: number; beforePosition: number | null },
  slices: SliceRunner = unlimitedSlices,
): Promise<AuditEventRow[]> {
  // Types the log never holds (KeyUsed, deprecated) would only scan the whole project for nothing.
  const types = filter.types?.length ? new Set(filter.types.filter((type) => LIFECYCLE_EVENT_TYPES.has(type))) : null;
  if (types?.size === 0) return [];
  let indexed = db.selectFrom('audit_events');
  if (filter.projectId !== undefined) indexed = indexed.where('project_id', '=', filter.projectId);
  if (filter.keyId !== undefined) indexed = indexed.where('key_id', '=', filter.keyId);
  const newestFirst = (before: number | null) => indexed.$if(before !== null, (q) => q.where('position', '<', before!)).orderBy('position', 'desc');
  if (!types && !filter.actor && !filter.from && !filter.to) {
    return newestFirst(page.beforePosition).selectAll().limit(page.limit).execute();
  }

  const from = filter.from?.toISOString() ?? null;
  const to = filter.to?.toISOString() ?? null;
  const found: AuditEventRow[] = [];
  let before = page.beforePosition;
  while (found.length < page.limit) {
    const window = await slices(() => newestFirst(before).select(['position', 'type', 'actor', 'occurred_at']).limit(SCAN_ROWS).execute());
    const hits = window
      .filter((row) => (!types || types.has(row.type)) && (!filter.actor || row.actor === filter.actor) && (!from || row.occurred_at >= from) && (!to || row.occurred_at < to))
      .slice(0, page.limit - found.length)
      .map((row) => row.position);
    if (hits.length) found.push(...(await slices(() => db.selectFrom('audit_events').selectAll().where('position', 'in', hits).orderBy('position', 'desc').execute())));
    const oldest = window.at(-1);
    // Recorded times never go back along the log: past `from`, nothing older can match.
    if (window.length < SCAN_ROWS || !oldest || (from && oldest.occurred_at < from)) break;
    before = oldest.position;
  }
  return found;
}

/**
 * The latest events of many keys in one statement: a window function numbers each
 * key's events newest first and keeps the first `limit` of each.
 */
export async function latestAuditEventsOfKeys(
  db: Db,
  keyIds: readonly string[],
  page: { limit: number; beforePosition: number | null; until: string | null },
): Promise<AuditEventRow[]> {
  if (keyIds.length === 0) return [];
  const ranked = db
    .selectFrom('audit_events')
    .selectAll()
    .select(sql<number>`row_number() over (partition by key_id order by position desc)`.as('rank'))
    .where('key_id', 'in', keyIds)
    .$if(page.beforePosition !== null, (q) => q.where('position', '<', page.beforePosition!))
    .$if(page.until !== null, (q) => q.where('occurred_at', '<=', page.until!));
  const rows = await db.selectFrom(ranked.as('ranked')).selectAll().where('rank', '<=', page.limit).orderBy('position', 'desc').execute();
  return rows.map(({ rank: _rank, ...row }) => row);
}
