import type { Kysely, Selectable, Updateable } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import type { KeyGenerated, LifecycleEvent } from '../events/key-events';
import type { ApiKeysTable, Database } from '../src/store/schema';
import type { InlineProjection } from './inline-projection';

type ApiKeyRow = Selectable<ApiKeysTable>;
type LifecycleChange = Exclude<StoredEvent<LifecycleEvent>, StoredEvent<KeyGenerated>>;

/**
 * api_keys, the current state of every key: updated event by event, in order.
 * Its usage columns (usage count, last used, last rejected) are written by the
 * usage log's flushes (src/usage/commit-usage.ts) and, on a rebuild, summed from it.
 */
export const apiKeysProjection: InlineProjection = {
  name: 'api keys',
  tables: ['api_keys'],
  async project(db, events) {
    for (const event of events) await projectApiKey(db, event);
  },
};

/** Keeps api_keys, the current state of every key, in step with the log. */
async function projectApiKey(db: Kysely<Database>, event: StoredEvent<LifecycleEvent>): Promise<void> {
  switch (event.type) {
    case 'KeyGenerated':
      await db.insertInto('api_keys').values(generatedKeyRow(event)).execute();
      return;
    default:
      await db.updateTable('api_keys').set(lifecycleChanges(event)).where('id', '=', event.data.keyId).execute();
  }
}

// The row's shape per lifecycle event, as pure functions: the table above and
// the time-travel fold (api-key-as-of.ts) build keys from the same definitions.

export function generatedKeyRow(event: StoredEvent<KeyGenerated>): ApiKeyRow {
  const { keyId, projectId, name, environment, secretHash, maskedKey, expiresAt, rotatedFrom } = event.data;
  const at = event.recordedAt;
  const by = event.metadata.actor;
  return {
    id: keyId,
    project_id: projectId,
    name,
    environment,
    key_hash: secretHash,
    masked_key: maskedKey,
    status: 'ACTIVE',
    created_at: at,
    created_by: by,
    created_position: event.position,
    last_used_at: null,
    last_rejected_at: null,
    last_rejected_code: null,
    usage_count: 0,
    deactivated_at: null,
    deleted_at: null,
    status_changed_at: at,
    status_changed_by: by,
    status_reason: null,
    version: event.streamVersion,
    expires_at: expiresAt,
    rotated_from: rotatedFrom,
    rotated_to: null,
  };
}

export function lifecycleChanges(event: LifecycleChange): Updateable<ApiKeysTable> {
  const at = event.recordedAt;
  const statusChange = { status_changed_at: at, status_changed_by: event.metadata.actor, status_reason: event.data.reason, version: event.streamVersion };
  switch (event.type) {
    case 'KeyDeactivated':
      return { ...statusChange, status: 'INACTIVE', deactivated_at: at };
    case 'KeyReactivated':
      return { ...statusChange, status: 'ACTIVE', deactivated_at: null };
    case 'KeyDeleted':
      return { ...statusChange, status: 'DELETED', deleted_at: at };
    case 'KeyRolled':
      // Not a status change: the key stays as it is until expires_at.
      return { rotated_to: event.data.successorId, expires_at: event.data.expiresAt, version: event.streamVersion };
  }
}
