import { type Kysely, sql } from 'kysely';
import { isPostgres } from '../store/database';
import { DAY_MS } from './usage-periods';

// On PostgreSQL the usage tables that retention trims are partitioned by day, so
// closing the books drops whole partitions instead of deleting rows one by one.
// SQLite has no partitions: there retention deletes in short batches (usage-retention.ts).

/** The partitioned tables and the column they are partitioned on. */
export const PARTITIONED_USAGE_TABLES = [
  { table: 'usage_windows', column: 'window_start' },
  { table: 'usage_project_windows', column: 'window_start' },
  { table: 'usage_key_hours', column: 'hour_start' },
  { table: 'usage_project_hours', column: 'hour_start' },
] as const;

export type PartitionedUsageTable = (typeof PARTITIONED_USAGE_TABLES)[number]['table'];

/** `usage_windows` + day 2026-11-26 → `usage_windows_d20261126`. */
function partitionName(table: string, dayStart: number): string {
  return `${table}_d${new Date(dayStart).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** Creates each partitioned table's daily partitions from the day of `from` through the day of `to` (a no-op on SQLite). */
export async function ensureUsagePartitions(
  db: Kysely<any>,
  from: number,
  to: number,
  tables: readonly PartitionedUsageTable[] = PARTITIONED_USAGE_TABLES.map((t) => t.table),
): Promise<void> {
  if (!isPostgres(db)) return;
  const existing = new Set(await partitionsOf(db));
  for (let day = from - (from % DAY_MS); day <= to; day += DAY_MS) {
    for (const table of tables) {
      const name = partitionName(table, day);
      if (existing.has(name)) continue;
      try {
        // Creating a partition locks its parent: behind a long reader (a backup), give up within
        // 200 ms rather than queue every flush behind it; partitions are made days ahead, so the
        // next pass of the books tries again in time.
        const create = async (trx: Kysely<any>, limited: boolean) => {
          if (limited) await sql`set local lock_timeout = '200ms'`.execute(trx);
          await sql`create table if not exists ${sql.table(name)} partition of ${sql.table(table)} for values from (${sql.lit(day)}) to (${sql.lit(day + DAY_MS)})`.execute(trx);
        };
        // Inside a caller's transaction (a migration) the caller's own lock settings stand.
        await (db.isTransaction ? create(db, false) : db.transaction().execute((trx) => create(trx, true)));
      } catch (error) {
        // Another instance created it at the same moment.
        if (!['42P07', '23505'].includes(String((error as { code?: unknown }).code))) throw error;
      }
    }
  }
}

/** Drops a table's partitions that hold only rows before `before` (day-aligned); returns how many. */
export async function dropUsagePartitionsBefore(db: Kysely<any>, table: PartitionedUsageTable, before: number): Promise<number> {
  let dropped = 0;
  for (const name of await partitionsOf(db, table)) {
    const day = Date.parse(`${name.slice(-8, -4)}-${name.slice(-4, -2)}-${name.slice(-2)}T00:00:00Z`);
    if (Number.isFinite(day) && day + DAY_MS <= before) {
      // Dropping a partition locks its parent: behind a long reader, give up within 200 ms
      // (flushes would queue behind the drop) and let the next run of the books try again.
      await db.transaction().execute(async (trx) => {
        await sql`set local lock_timeout = '200ms'`.execute(trx);
        await sql`drop table if exists ${sql.table(name)}`.execute(trx);
      });
      dropped++;
    }
  }
  return dropped;
}

/** The partitions in the current schema (of one table, or of all usage tables). */
async function partitionsOf(db: Kysely<any>, table?: string): Promise<string[]> {
  const { rows } = await sql<{ name: string; parent: string }>`
    select child.relname as name, parent.relname as parent
    from pg_inherits
    join pg_class child on child.oid = pg_inherits.inhrelid
    join pg_class parent on parent.oid = pg_inherits.inhparent
    join pg_namespace ns on ns.oid = parent.relnamespace
    where ns.nspname = current_schema()`.execute(db);
  return rows.filter((row) => (table ? row.parent === table : true) && /_d\d{8}$/.test(row.name)).map((row) => row.name);
}

/** PostgreSQL's answer to a row for which no partition exists. */
export function isMissingPartition(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '23514' && /no partition/i.test(String(message));
}
