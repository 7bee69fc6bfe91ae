import type { Kysely } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import type { Database } from '../src/store/schema';

/** Keeps api_keys, the current state of every key, in step with the log. */
export async function projectApiKey(db: Kysely<Database>, event: StoredEvent): Promise<void> {
  const at = event.recordedAt;
  const by = event.metadata.actor;
  switch (event.type) {
    case 'KeyGenerated': {
      const { keyId, projectId, name, environment, secretHash, maskedKey } = event.data;
      await db
        .insertInto('api_keys')
        .values({
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
          usage_count: 0,
          deactivated_at: null,
          deleted_at: null,
          status_changed_at: at,
          status_changed_by: by,
          status_reason: null,
          version: event.streamVersion,
        })
        .execute();
      return;
    }
    case 'KeyDeactivated':
    case 'KeyReactivated':
    case 'KeyDeleted': {
      const status = { KeyDeactivated: 'INACTIVE', KeyReactivated: 'ACTIVE', KeyDeleted: 'DELETED' }[event.type];
      await db
        .updateTable('api_keys')
        .set({
          status,
          status_changed_at: at,
          status_changed_by: by,
          status_reason: event.data.reason,
          version: event.streamVersion,
          ...(event.type === 'KeyDeactivated' && { deactivated_at: at }),
          ...(event.type === 'KeyReactivated' && { deactivated_at: null }),
          ...(event.type === 'KeyDeleted' && { deleted_at: at }),
        })
        .where('id', '=', event.data.keyId)
        .execute();
      return;
    }
    case 'KeyUsed': {
      await db
        .updateTable('api_keys')
        .set((eb) => ({
          usage_count: eb('usage_count', '+', 1),
          ...(event.data.outcome === 'VALID' && { last_used_at: at }),
        }))
        .where('id', '=', event.data.keyId)
        .execute();
      return;
    }
  }
}
