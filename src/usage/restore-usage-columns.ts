import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/schema';
import { readBooksState } from './usage-books-state';
import { keyUsageTotals } from './usage-queries';

/** Later than any window: the whole usage log. */
const END_OF_TIME = 8.64e15;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Sets a key table's usage columns (usage count, last used, last rejected) to
 * what the usage log holds: complete days from daily summaries, closed hours from
 * hourly ones, the rest from windows. A rebuild calls it on the table it built
 * from the chained log, in the transaction that swaps it in, so the result equals
 * what flushes had added up incrementally.
 */
export async function restoreUsageColumns(trx: Kysely<Database>, table: 'api_keys' | 'api_keys_next'): Promise<void> {
  const { closedThrough } = await readBooksState(trx);
  const totals = [...(await keyUsageTotals(trx, null, END_OF_TIME, closedThrough))];
  for (let i = 0; i < totals.length; i += 500) {
    const values = sql.join(
      totals
        .slice(i, i + 500)
        .map(
          ([keyId, usage]) =>
            sql`(${keyId}, cast(${usage.count} as bigint), cast(${iso(usage.lastValidAt)} as text), cast(${iso(usage.lastRejectedAt)} as text), cast(${usage.lastRejectedCode} as text))`,
        ),
    );
    await sql`
      with u(id, n, lv, lr, lc) as (values ${values})
      update ${sql.table(table)} set usage_count = u.n, last_used_at = u.lv, last_rejected_at = u.lr, last_rejected_code = u.lc
      from u where ${sql.table(table)}.id = u.id`.execute(trx);
  }
}
