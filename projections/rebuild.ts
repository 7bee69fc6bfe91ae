import type { Kysely } from 'kysely';
import { readAll } from '../src/store/event-store';
import type { Database } from '../src/store/schema';
import { PROJECTION_TABLES, projectEvents } from './project-events';

const BATCH_SIZE = 5000;

/**
 * Empties every projection table and replays the whole log into it, in one
 * transaction: readers see the old tables or the rebuilt ones, never a half-built mix.
 */
export async function rebuildProjections(db: Kysely<Database>): Promise<{ events: number }> {
  return db.transaction().execute(async (trx) => {
    for (const table of PROJECTION_TABLES) await trx.deleteFrom(table).execute();
    let position = 0;
    let events = 0;
    for (;;) {
      const batch = await readAll(trx, position, BATCH_SIZE);
      if (batch.length === 0) return { events };
      await projectEvents(trx, batch);
      events += batch.length;
      position = batch[batch.length - 1]!.position;
    }
  });
}
