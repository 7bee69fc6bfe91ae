import type { Selectable } from 'kysely';
import type { KeyViewStatus } from '../domain/key-status';
import type { Db } from '../store/database';
import type { ApiKeysTable } from '../store/schema';

/** A key as stored in the read model; asOf is set on a key rebuilt as it was at a past moment. */
export type ApiKeyRow = Selectable<ApiKeysTable> & { asOf?: Date };

export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export async function findApiKeysByIds(db: Db, ids: readonly string[]): Promise<ApiKeyRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('api_keys').selectAll().where('id', 'in', ids).execute();
}

export interface ApiKeyFilter {
  status?: KeyViewStatus | null;
  environment?: string | null;
  /** Keys not used since this time; a key never used counts from its creation. */
  unusedSince?: Date | null;
  /** Keys with an expiry before this time (already expired ones included). */
  expiresBefore?: Date | null;
}

/** A page of a project's keys, newest first, by keyset on the creating event's position. */
export async function listProjectApiKeys(db: Db, projectId: string, filter: ApiKeyFilter, page: { limit: number; beforePosition: number | null }, now: Date): Promise<ApiKeyRow[]> {
  const at = now.toISOString();
  let query = db.selectFrom('api_keys').selectAll().where('project_id', '=', projectId);
  // A deleted key is history, not part of the project's keys, unless asked for by status.
  // Other statuses are as of now: statusAt() in SQL, expiry first.
  switch (filter.status) {
    case 'DELETED':
      query = query.where('status', '=', 'DELETED');
      break;
    case 'EXPIRED':
      query = query.where('status', '!=', 'DELETED').where('expires_at', '<=', at);
      break;
    case 'ACTIVE':
    case 'INACTIVE':
      query = query.where('status', '=', filter.status).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]));
      break;
    default:
      query = query.where('status', '!=', 'DELETED');
  }
  if (filter.environment) query = query.where('environment', '=', filter.environment);
  if (filter.unusedSince) {
    const since = filter.unusedSince.toISOString();
    query = query.where((eb) => eb(eb.fn.coalesce('last_used_at', 'created_at'), '<', since));
  }
  if (filter.expiresBefore) query = query.where('expires_at', '<', filter.expiresBefore.toISOString());
  if (page.beforePosition !== null) query = query.where('created_position', '<', page.beforePosition);
  return query.orderBy('created_position', 'desc').limit(page.limit).execute();
}
