import type { Transaction } from 'kysely';
import type { StoredEvent } from '../../events/event-envelope';
import { projectEvents } from '../../projections/project-events';
import { notifyKeyChanged, notifyLogAppended } from './change-notifications';
import type { Db } from './database';
import type { Database } from './schema';

/**
 * The one way events enter the log, for commands and usage alike. In one
 * transaction: the caller's append, every registered inline projection, and the
 * notifications other instances act on (PostgreSQL delivers them at commit, so
 * never for a rollback). After the commit: `publish`, which tells this process
 * (its key cache, its live feed).
 */
export async function commitEvents(
  db: Db,
  append: (trx: Transaction<Database>) => Promise<StoredEvent[]>,
  publish?: (events: StoredEvent[]) => void,
): Promise<StoredEvent[]> {
  const stored = await db.transaction().execute(async (trx) => {
    const appended = await append(trx);
    if (appended.length === 0) return appended;
    await projectEvents(trx, appended);
    // Usage changes no key's lifecycle: caches that hold keys need not hear of it.
    const changedKeys = appended.filter((event) => event.type !== 'KeyUsed').map((event) => event.data.keyId);
    if (changedKeys.length > 0) await notifyKeyChanged(trx, changedKeys);
    await notifyLogAppended(trx, appended.at(-1)!.recordedAt);
    return appended;
  });
  if (stored.length > 0) publish?.(stored);
  return stored;
}
