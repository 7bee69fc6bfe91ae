import { type Kysely, sql } from 'kysely';
import type { UsageWindow } from '../../events/usage-events';
import { type Db, isPostgres } from '../store/database';
import type { Database, UsageWindowsTable } from '../store/schema';
import { ensureUsagePartitions, isMissingPartition } from './usage-partitions';
import { addRow, projectWindowRows, windowRow } from './usage-rows';
import { lockSealShared, readSeal } from './usage-seal';
import { addUsageRows, USAGE_KEYS } from './usage-upsert';

/**
 * Writes usage records in one transaction: each (window, key, principal,
 * instance) row gets the counts added (a window may be written more than once:
 * early for a key's first use after a quiet period, then at the window's end),
 * the project's window row likewise, and api_keys its usage count and last uses.
 * Uses that belong to a window already closed move to the first open one: closed
 * books never change. Throws when the database is unavailable; nothing is written.
 */
export async function commitUsage(db: Db, windows: readonly UsageWindow[], now: number): Promise<void> {
  if (windows.length === 0) return;
  const write = () =>
    db.transaction().execute(async (trx) => {
      await lockSealShared(trx);
      const sealed = await readSeal(trx);
      const rows = mergeRows(windows.map((window) => windowRow(window.windowStart < sealed ? { ...window, windowStart: sealed } : window)));
      await addUsageRows(trx, 'usage_windows', USAGE_KEYS.usage_windows, rows);
      await addUsageRows(trx, 'usage_project_windows', USAGE_KEYS.usage_project_windows, projectWindowRows(rows));
      await addToApiKeys(trx, rows);
    });
  try {
    await write();
  } catch (error) {
    if (!isMissingPartition(error)) throw error;
    // The books create partitions ahead of time; a clock far ahead (or a first start) can outrun them.
    const starts = windows.map((window) => window.windowStart);
    await ensureUsagePartitions(db, Math.min(...starts, now), Math.max(...starts, now));
    await write();
  }
}

/** Rows with the same (window, key, principal, instance), as moving late uses can make, become one. */
function mergeRows(rows: UsageWindowsTable[]): UsageWindowsTable[] {
  const merged = new Map<string, UsageWindowsTable>();
  for (const row of rows) {
    const id = `${row.window_start}\u0000${row.key_id}\u0000${row.principal}\u0000${row.instance}`;
    const into = merged.get(id);
    if (!into) merged.set(id, { ...row });
    else addRow(into, row);
  }
  return [...merged.values()];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Keys per statement (five parameters each). */
const KEYS_PER_UPDATE = 500;

/** api_keys: usage count up by each key's uses, last used and last rejected moved forward only. */
async function addToApiKeys(trx: Kysely<Database>, rows: readonly UsageWindowsTable[]): Promise<void> {
  const byKey = new Map<string, UsageWindowsTable>();
  for (const row of rows) {
    const into = byKey.get(row.key_id);
    if (!into) byKey.set(row.key_id, { ...row });
    else addRow(into, row);
  }
  // Sorted, and on PostgreSQL locked in that order first: two instances flushing the
  // same keys at the same window boundary would otherwise deadlock on each other's rows.
  const keys = [...byKey.values()].sort((a, b) => (a.key_id < b.key_id ? -1 : a.key_id > b.key_id ? 1 : 0));
  for (let i = 0; i < keys.length; i += KEYS_PER_UPDATE) {
    const chunk = keys.slice(i, i + KEYS_PER_UPDATE);
    if (isPostgres(trx)) {
      await sql`select id from api_keys where id in (${sql.join(chunk.map((key) => key.key_id))}) order by id for update`.execute(trx);
    }
    const values = sql.join(
      chunk.map(
        (key) =>
          sql`(${key.key_id}, cast(${key.total} as bigint), cast(${iso(key.last_valid_at)} as text), cast(${iso(key.last_rejected_at)} as text), cast(${key.last_rejected_code} as text))`,
      ),
    );
    // ISO times of one format compare as text, as everywhere in api_keys.
    await sql`
      with u(id, n, lv, lr, lc) as (values ${values})
      update api_keys set
        usage_count = api_keys.usage_count + u.n,
        last_used_at = case when u.lv is not null and (api_keys.last_used_at is null or u.lv > api_keys.last_used_at) then u.lv else api_keys.last_used_at end,
        last_rejected_code = case when u.lr is not null and (api_keys.last_rejected_at is null or u.lr > api_keys.last_rejected_at) then u.lc else api_keys.last_rejected_code end,
        last_rejected_at = case when u.lr is not null and (api_keys.last_rejected_at is null or u.lr > api_keys.last_rejected_at) then u.lr else api_keys.last_rejected_at end
      from u where api_keys.id = u.id`.execute(trx);
    if (i + KEYS_PER_UPDATE < keys.length) await new Promise((resolve) => setImmediate(resolve));
  }
}
