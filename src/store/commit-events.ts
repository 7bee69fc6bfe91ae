import type { Transaction } from 'kysely';
import type { StoredEvent } from '../../events/event-envelope';
import { isLifecycleEvent, type LogEvent } from '../../events/log-events';
import { projectEvents } from '../../projections/project-events';
import { notifyKeyChanged, notifyLogAppended } from './change-notifications';
import type { Db } from './database';
import type { Database } from './schema';

/**
 * The one way events enter the chained log, for key commands and the usage
 * books alike. In one transaction: the caller's append, every registered inline
 * projection, and the notifications other instances act on (PostgreSQL delivers
 * them at commit, so never for a rollback). After the commit: `publish`, which
 * tells this process (its key cache, its live feed). Usage records have a log of
 * their own (src/usage/commit-usage.ts).
 */
export async function commitEvents<E extends LogEvent>(
  db: Db,
  append: (trx: Transaction<Database>) => Promise<StoredEvent<E>[]>,
  publish?: (events: StoredEvent<E>[]) => void,
): Promise<StoredEvent<E>[]> {
  const stored = await db.transaction().execute(async (trx) => {
    const appended = await append(trx);
    if (appended.length === 0) return appended;
    await projectEvents(trx, appended as StoredEvent<LogEvent>[]);
    const changedKeys = (appended as StoredEvent<LogEvent>[]).filter(isLifecycleEvent).map((event) => event.data.keyId);
    if (changedKeys.length > 0) await notifyKeyChanged(trx, changedKeys);
    await notifyLogAppended(trx, appended.at(-1)!.recordedAt);
    return appended;
  });
  if (stored.length > 0) publish?.(stored);
  return stored;
}
