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
          last_rejected_at: null,
          last_rejected_code: null,
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
      const { count, lastValidAt, lastRejectedAt, lastRejectedCode } = event.data;
      // Windows from several servers may arrive out of time order: keep the latest.
      await db
        .updateTable('api_keys')
        .set((eb) => ({
          usage_count: eb('usage_count', '+', count),
          ...(lastValidAt && {
            last_used_at: eb.case().when('last_used_at', 'is', null).then(lastValidAt).when('last_used_at', '<', lastValidAt).then(lastValidAt).else(eb.ref('last_used_at')).end(),
          }),
          ...(lastRejectedAt && {
            last_rejected_code: eb.case().when('last_rejected_at', 'is', null).then(lastRejectedCode).when('last_rejected_at', '<', lastRejectedAt).then(lastRejectedCode).else(eb.ref('last_rejected_code')).end(),
            last_rejected_at: eb.case().when('last_rejected_at', 'is', null).then(lastRejectedAt).when('last_rejected_at', '<', lastRejectedAt).then(lastRejectedAt).else(eb.ref('last_rejected_at')).end(),
          }),
        }))
        .where('id', '=', event.data.keyId)
        .execute();
      return;
    }
  }
}
