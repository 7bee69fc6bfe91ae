import { sql, type Selectable } from 'kysely';
import type { KeyEventType } from '../../events/key-events';
import type { Db } from '../store/database';
import type { AuditEventsTable } from '../store/schema';

export type AuditEventRow = Selectable<AuditEventsTable>;

export interface AuditFilter {
  projectId?: string;
  keyId?: string;
  /** Exactly these types; without them, lifecycle events only unless includeUsage. */
  types?: KeyEventType[] | null;
  includeUsage?: boolean | null;
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

/** A page of audit events, newest first, by keyset on the log position. */
export async function listAuditEvents(
  db: Db,
  filter: AuditFilter,
  page: { limit: number; beforePosition: number | null },
): Promise<AuditEventRow[]> {
  let query = db.selectFrom('audit_events').selectAll();
  if (filter.projectId !== undefined) query = query.where('project_id', '=', filter.projectId);
  if (filter.keyId !== undefined) query = query.where('key_id', '=', filter.keyId);
  if (filter.types?.length) query = query.where('type', 'in', filter.types);
  else if (!filter.includeUsage) query = query.where('category', '=', 'lifecycle');
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.from) query = query.where('occurred_at', '>=', filter.from.toISOString());
  if (filter.to) query = query.where('occurred_at', '<', filter.to.toISOString());
  if (page.beforePosition !== null) query = query.where('position', '<', page.beforePosition);
  return query.orderBy('position', 'desc').limit(page.limit).execute();
}

/**
 * The latest events of many keys in one statement: a window function numbers each
 * key's events newest first and keeps the first `limit` of each.
 */
export async function latestAuditEventsOfKeys(
  db: Db,
  keyIds: readonly string[],
  page: { limit: number; beforePosition: number | null; includeUsage: boolean; until: string | null },
): Promise<AuditEventRow[]> {
  if (keyIds.length === 0) return [];
  const ranked = db
    .selectFrom('audit_events')
    .selectAll()
    .select(sql<number>`row_number() over (partition by key_id order by position desc)`.as('rank'))
    .where('key_id', 'in', keyIds)
    .$if(!page.includeUsage, (q) => q.where('category', '=', 'lifecycle'))
    .$if(page.beforePosition !== null, (q) => q.where('position', '<', page.beforePosition!))
    .$if(page.until !== null, (q) => q.where('occurred_at', '<=', page.until!));
  const rows = await db
    .selectFrom(ranked.as('ranked'))
    .selectAll()
    .where('rank', '<=', page.limit)
    .orderBy('position', 'desc')
    .execute();
  return rows.map(({ rank: _rank, ...row }) => row);
}
