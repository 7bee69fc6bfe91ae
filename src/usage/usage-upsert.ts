import { type Kysely, type RawBuilder, sql } from 'kysely';

/** The tables usage rows are added into; each row a period of one scope (key or project). */
export type UsageTable = 'usage_windows' | 'usage_project_windows' | 'usage_key_hours' | 'usage_project_hours' | 'usage_key_days' | 'usage_project_days';

const COUNTS = ['total', 'valid', 'inactive', 'expired', 'deleted'] as const;

/** Rows per statement: well under SQLite's bound-parameter limit at 13 columns. */
const CHUNK = 500;

/**
 * Adds rows into a usage table: a new (period, scope) row is inserted; an
 * existing one gets the counts added and keeps the later of each "last" time.
 * Rows within one call must not repeat a conflict key (PostgreSQL refuses to
 * update a row twice in one statement); callers aggregate first.
 */
export async function addUsageRows(db: Kysely<any>, table: UsageTable, conflict: readonly string[], rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  const perKey = 'last_valid_at' in rows[0]!;
  const set: Record<string, RawBuilder<unknown>> = {};
  for (const count of COUNTS) set[count] = sql`${sql.ref(`${table}.${count}`)} + ${sql.ref(`excluded.${count}`)}`;
  if (perKey) {
    set.last_valid_at = later(table, 'last_valid_at');
    set.last_rejected_at = later(table, 'last_rejected_at');
    set.last_rejected_code = sql`case when ${newer(table, 'last_rejected_at')} then excluded.last_rejected_code else ${sql.ref(`${table}.last_rejected_code`)} end`;
  }
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto(table)
      .values(rows.slice(i, i + CHUNK) as any)
      .onConflict((oc) => oc.columns(conflict as any).doUpdateSet(set as any))
      .execute();
    // A flush of 10,000 keys is many chunks: let verifications and requests run between them.
    if (i + CHUNK < rows.length) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Whether the incoming row's time is set and later than the stored one (null counts as never). */
function newer(table: string, column: string): RawBuilder<unknown> {
  const stored = sql.ref(`${table}.${column}`);
  const incoming = sql.ref(`excluded.${column}`);
  return sql`(${incoming} is not null and (${stored} is null or ${incoming} > ${stored}))`;
}

function later(table: string, column: string): RawBuilder<unknown> {
  return sql`case when ${newer(table, column)} then ${sql.ref(`excluded.${column}`)} else ${sql.ref(`${table}.${column}`)} end`;
}

/** The conflict key of each usage table (its primary key). */
export const USAGE_KEYS: Record<UsageTable, readonly string[]> = {
  usage_windows: ['window_start', 'key_id', 'principal', 'instance'],
  usage_project_windows: ['window_start', 'project_id', 'instance'],
  usage_key_hours: ['hour_start', 'key_id'],
  usage_project_hours: ['hour_start', 'project_id'],
  usage_key_days: ['day_start', 'key_id'],
  usage_project_days: ['day_start', 'project_id'],
};
