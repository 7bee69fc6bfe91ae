import {
  IdentifierNode,
  type Kysely,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  sql,
  type TableNode,
  type UnknownRow,
} from 'kysely';
import { isPostgres } from '../src/store/database';
import { readAll } from '../src/store/event-store';
import type { Database } from '../src/store/schema';
import { restoreUsageColumns } from '../src/usage/restore-usage-columns';
import { lockSealExclusive } from '../src/usage/usage-seal';
import { PROJECTION_TABLES, projectEvents } from './project-events';

// Rebuilding beside a live server. One transaction over the whole replay would
// hold SQLite's write lock (and, on PostgreSQL, every projection row) for as long
// as the replay takes: every write of the live service would wait, for seconds.
// Instead the log is replayed into shadow tables (api_keys_next, audit_events_next),
// a short transaction per batch, through the very projection code the live
// service runs (its table names rewritten by a Kysely plugin). Events appended
// meanwhile are caught up the same way. The last few are projected in one short
// transaction that also swaps the shadow tables in, with appends held off
// (SQLite's write lock; the append lock on PostgreSQL): readers see the old
// tables or the complete new ones, never a mix.

/** Events per transaction: about 10 ms of projection work on SQLite (20 at most). */
const BATCH_EVENTS = 200;
/** The final transaction projects at most this many events (those appended since the last batch). */
const FINAL_EVENTS_MAX = 200;
/** The append lock of src/store/event-store.ts (a transaction-scoped advisory lock on PostgreSQL). */
const APPEND_LOCK = 0x4150494b;

/** Tries at the final swap before giving up, when other sessions keep the tables locked. */
const MAX_SWAP_ATTEMPTS = 30;

const SHADOW = '_next';
const OLD = '_old';

export interface RebuildOptions {
  /** Told after each committed batch (the CLI prints progress). */
  onProgress?: (projected: number) => void;
}

/** Replays the whole log into fresh projection tables and swaps them in. */
export async function rebuildProjections(db: Kysely<Database>, options: RebuildOptions = {}): Promise<{ events: number }> {
  const postgres = isPostgres(db);
  await dropReplacedTables(db);
  await createShadowTables(db);
  const toShadow = new RenameTablesPlugin(Object.fromEntries(PROJECTION_TABLES.map((table) => [table, table + SHADOW])));
  const shadow = db.withPlugin(toShadow);
  let position = 0;
  let events = 0;
  let lockedOut = 0;
  for (;;) {
    const batch = await readAll(db, position, BATCH_EVENTS);
    if (batch.length === BATCH_EVENTS) {
      const started = performance.now();
      await shadow.transaction().execute((trx) => projectEvents(trx, batch));
      // SQLite queues no waiting writers: another process's server retries its BEGIN on
      // a timer, and would rarely find the lock free between back-to-back batches.
      // Leaving it free as long as a batch held it halves the rebuild's speed, and
      // bounds what a live server's writes wait to a few batches.
      if (!postgres) await new Promise((resolve) => setTimeout(resolve, Math.max(2, performance.now() - started)));
    } else {
      // Nearly caught up: the rest, and the swap, in one transaction that no append can interleave with.
      const swapped = await db
        .transaction()
        .execute(async (trx) => {
          if (isPostgres(trx)) {
            // The swap needs every projection table to itself, which waits for each reader of
            // them while every later query queues behind: take all the locks at once, give up
            // after 200 ms (appends and reads wait no longer than that), and try again later.
            await sql`set local lock_timeout = '200ms'`.execute(trx);
            await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx);
            // Usage flushes hold the seal shared while they add to api_keys: none may land between
            // the usage totals below and the swap. Taken before the table locks, as flushes do.
            await lockSealExclusive(trx);
            await sql`lock table ${sql.join(PROJECTION_TABLES.map((table) => sql.table(table)))} in access exclusive mode`.execute(trx);
          }
          const rest = await readAll(trx, position, FINAL_EVENTS_MAX + 1);
          if (rest.length > FINAL_EVENTS_MAX) return { swapped: false, projected: 0 };
          await projectEvents(trx.withPlugin(toShadow), rest);
          // Usage is not in the chained log: the new table's usage columns come from the usage log.
          await restoreUsageColumns(trx, 'api_keys_next');
          await swapTables(trx);
          return { swapped: true, projected: rest.length };
        })
        .catch((error: unknown) => {
          if ((error as { code?: unknown }).code !== '55P03') throw error; // lock_not_available
          return { swapped: false, projected: 0, locked: true };
        });
      if (swapped.swapped) {
        events += swapped.projected;
        break;
      }
      if ('locked' in swapped) {
        // A long reader (a dump, a report) holds a table: back off, with jitter, a bounded number of times.
        if (++lockedOut > MAX_SWAP_ATTEMPTS) throw new Error(`Could not take the projection tables for the swap in ${MAX_SWAP_ATTEMPTS} tries: a long-running query holds them`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** lockedOut) * (0.5 + Math.random())));
      }
      continue; // many events arrived meanwhile: keep going a batch at a time
    }
    events += batch.length;
    position = batch[batch.length - 1]!.position;
    options.onProgress?.(events);
    // A rebuild run inside a server process must not hold its event loop either.
    if (postgres) await new Promise((resolve) => setImmediate(resolve));
  }
  await dropReplacedTables(db);
  return { events };
}

/** Rewrites table names in every query built through it, so unchanged projection code writes the shadow tables. */
class RenameTablesPlugin implements KyselyPlugin {
  private readonly transformer: RenameTablesTransformer;
  constructor(names: Record<string, string>) {
    this.transformer = new RenameTablesTransformer(names);
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node, args.queryId);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

class RenameTablesTransformer extends OperationNodeTransformer {
  constructor(private readonly names: Record<string, string>) {
    super();
  }
  protected override transformTable(node: TableNode): TableNode {
    const transformed = super.transformTable(node);
    const renamed = this.names[transformed.table.identifier.name];
    return renamed ? { ...transformed, table: { ...transformed.table, identifier: IdentifierNode.create(renamed) } } : transformed;
  }
}

/**
 * Creates each shadow table and its indexes like the live table, read from the
 * database's own catalog, so the shadow follows every migration without a second
 * definition here. Empty tables: one short transaction.
 */
async function createShadowTables(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of PROJECTION_TABLES) {
      const shadow = table + SHADOW;
      await sql`drop table if exists ${sql.table(shadow)}`.execute(trx);
      if (isPostgres(trx)) {
        // Columns, defaults, constraints and indexes; the indexes get names of their own, set right at the swap.
        await sql`create table ${sql.table(shadow)} (like ${sql.table(table)} including all)`.execute(trx);
        continue;
      }
      const objects = await sql<{ type: string; name: string; sql: string }>`
        select type, name, sql from sqlite_master where tbl_name = ${table} and sql is not null order by type = 'table' desc`.execute(trx);
      for (const object of objects.rows) {
        if (object.type === 'table') {
          await sql.raw(object.sql.replace(/^CREATE TABLE\s+(["`]?)\w+\1/i, `CREATE TABLE "${shadow}"`)).execute(trx);
        } else if (object.type === 'index') {
          // SQLite cannot rename an index, and index names are unique per database: the
          // shadow's take the other of two names, which the swap then leaves in place.
          const name = alternateIndexName(object.name);
          const definition = object.sql.replace(/^(CREATE\s+(?:UNIQUE\s+)?INDEX\s+)(["`]?)\w+\2\s+on\s+(["`]?)\w+\3/i, `$1"${name}" on "${shadow}"`);
          await sql.raw(definition).execute(trx);
        }
      }
    }
  });
}

/** `api_keys_by_project` ↔ `api_keys_by_project__b`: each rebuild on SQLite moves its indexes to the other name. */
function alternateIndexName(name: string): string {
  return name.endsWith('__b') ? name.slice(0, -3) : `${name}__b`;
}

/** Inside the final transaction: the live tables step aside (dropped afterwards), the shadows take their names. */
async function swapTables(trx: Kysely<Database>): Promise<void> {
  const postgres = isPostgres(trx);
  for (const table of PROJECTION_TABLES) {
    const shadow = table + SHADOW;
    if (postgres) {
      // Dropping is cheap on PostgreSQL (files are unlinked at commit); index names
      // are freed with it, so the shadow's indexes take the live ones' names.
      const live = new Map((await indexesOf(trx, table)).map((index) => [index.shape, index.name]));
      await sql`drop table ${sql.table(table)}`.execute(trx);
      await sql`alter table ${sql.table(shadow)} rename to ${sql.table(table)}`.execute(trx);
      for (const index of await indexesOf(trx, table)) {
        const name = live.get(index.shape);
        if (name && name !== index.name) await sql`alter index ${sql.id(index.name)} rename to ${sql.id(name)}`.execute(trx);
      }
    } else {
      // Dropped after the swap, in a transaction of its own: this one stays as short as it can.
      await sql`alter table ${sql.table(table)} rename to ${sql.table(table + OLD)}`.execute(trx);
      await sql`alter table ${sql.table(shadow)} rename to ${sql.table(table)}`.execute(trx);
    }
  }
}

/** A PostgreSQL table's indexes, each with its shape: its definition without its name and table. */
async function indexesOf(trx: Kysely<Database>, table: string): Promise<{ name: string; shape: string }[]> {
  const { rows } = await sql<{ indexname: string; indexdef: string }>`
    select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = ${table}`.execute(trx);
  return rows.map((row) => ({ name: row.indexname, shape: indexShape(row.indexdef) }));
}

function indexShape(definition: string): string {
  // "CREATE UNIQUE INDEX name ON schema.table USING btree (col, …)" → "UNIQUE|USING btree (col, …)"
  return `${/^CREATE UNIQUE/i.test(definition) ? 'UNIQUE' : ''}|${definition.slice(definition.indexOf(' USING '))}`;
}

/**
 * Drops the tables a swap replaced (or a broken-off rebuild left), each in a
 * transaction of its own. Cheap on both databases: SQLite hands a dropped
 * table's pages to its free list (about 7 ms for 50k audit rows).
 */
async function dropReplacedTables(db: Kysely<Database>): Promise<void> {
  for (const table of PROJECTION_TABLES) {
    await db.transaction().execute((trx) => sql`drop table if exists ${sql.table(table + OLD)}`.execute(trx));
  }
}
