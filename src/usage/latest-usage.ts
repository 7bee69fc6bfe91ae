import type { Kysely } from 'kysely';
import type { Database } from '../store/schema';

/**
 * The latest verification the usage log holds (epoch ms), or -Infinity. A
 * restarting server takes it, like the log's head, as a time already passed: a
 * key seen expired must not verify again if the wall clock stepped back.
 * Reads only the newest window's rows (the primary key leads with time).
 */
export async function latestUsageAt(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('usage_windows')
    .select((eb) => [eb.fn.max('last_valid_at').as('valid'), eb.fn.max('last_rejected_at').as('rejected')])
    .where('window_start', '>=', (eb) => eb.selectFrom('usage_windows').select((inner) => inner.fn.max('window_start').as('latest')))
    .executeTakeFirst();
  const times = [row?.valid, row?.rejected].filter((time) => time !== null && time !== undefined).map(Number);
  return times.length > 0 ? Math.max(...times) : -Infinity;
}
