import type { Selectable } from 'kysely';
import type { KeyStatus } from '../../events/key-events';
import type { Db } from '../store/database';
import type { ApiKeysTable } from '../store/schema';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export async function findApiKeysByIds(db: Db, ids: readonly string[]): Promise<ApiKeyRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('api_keys').selectAll().where('id', 'in', ids).execute();
}

export interface ApiKeyFilter {
  status?: KeyStatus | null;
  environment?: string | null;
  /** Keys not used since this time; a key never used counts from its creation. */
  unusedSince?: Date | null;
}

/** A page of a project's keys, newest first, by keyset on the creating event's position. */
export async function listProjectApiKeys(
  db: Db,
  projectId: string,
  filter: ApiKeyFilter,
  page: { limit: number; beforePosition: number | null },
): Promise<ApiKeyRow[]> {
  let query = db.selectFrom('api_keys').selectAll().where('project_id', '=', projectId);
  // A deleted key is history, not part of the project's keys, unless asked for by status.
  query = filter.status ? query.where('status', '=', filter.status) : query.where('status', '!=', 'DELETED');
  if (filter.environment) query = query.where('environment', '=', filter.environment);
  if (filter.unusedSince) {
    const since = filter.unusedSince.toISOString();
    query = query.where((eb) => eb(eb.fn.coalesce('last_used_at', 'created_at'), '<', since));
  }
  if (page.beforePosition !== null) query = query.where('created_position', '<', page.beforePosition);
  return query.orderBy('created_position', 'desc').limit(page.limit).execute();
}
