import { type Kysely, sql } from 'kysely';
import { isPostgres } from '../store/database';
import type { UsageWindowsTable } from '../store/schema';
import { ensureUsagePartitions } from './usage-partitions';
import { DAY_MS, MINUTE_MS } from './usage-periods';
import { projectWindowRows } from './usage-rows';
import { addUsageRows, USAGE_KEYS } from './usage-upsert';

// Migration 0005: usage gets a log of its own. Verifications become compact
// window records (usage_windows) instead of KeyUsed events in the chained log;
// closed hours and days are summarised beside them. See src/usage/.

interface UsageTableShape {
  name: string;
  time: 'window_start' | 'hour_start' | 'day_start';
  /** Key tables carry the key and its project, and the latest accepted and rejected use. */
  perKey: boolean;
  /** Window tables carry the instance (and, per key, the principal) that wrote them. */
  window: boolean;
  primaryKey: string[];
  indexes: string[][];
  partitioned: boolean;
}

const TABLES: UsageTableShape[] = [
  // Closing and retention walk a period across every key: the primary key leads with time.
  // No project index on windows: it would be a third of their size, and project series read
  // usage_project_windows; topKeys reaches a project's windows through its keys.
  {
    name: 'usage_windows',
    time: 'window_start',
    perKey: true,
    window: true,
    primaryKey: ['window_start', 'key_id', 'principal', 'instance'],
    indexes: [['key_id', 'window_start']],
    partitioned: true,
  },
  {
    name: 'usage_project_windows',
    time: 'window_start',
    perKey: false,
    window: true,
    primaryKey: ['window_start', 'project_id', 'instance'],
    indexes: [['project_id', 'window_start']],
    partitioned: true,
  },
  {
    name: 'usage_key_hours',
    time: 'hour_start',
    perKey: true,
    window: false,
    primaryKey: ['hour_start', 'key_id'],
    indexes: [
      ['key_id', 'hour_start'],
      ['project_id', 'hour_start'],
    ],
    partitioned: true,
  },
  {
    name: 'usage_project_hours',
    time: 'hour_start',
    perKey: false,
    window: false,
    primaryKey: ['hour_start', 'project_id'],
    indexes: [['project_id', 'hour_start']],
    partitioned: true,
  },
  // Kept forever: one row per key and day. Every table leads with time: closing and the
  // integrity check walk a period across all keys.
  {
    name: 'usage_key_days',
    time: 'day_start',
    perKey: true,
    window: false,
    primaryKey: ['day_start', 'key_id'],
    indexes: [
      ['key_id', 'day_start'],
      ['project_id', 'day_start'],
    ],
    partitioned: false,
  },
  {
    name: 'usage_project_days',
    time: 'day_start',
    perKey: false,
    window: false,
    primaryKey: ['day_start', 'project_id'],
    indexes: [['project_id', 'day_start']],
    partitioned: false,
  },
];

export async function migrateUsageLog(db: Kysely<any>): Promise<void> {
  const postgres = isPostgres(db);
  if (!postgres) {
    // Retention deletes old windows; incremental auto-vacuum lets it hand the freed
    // pages back to the file system. Changing the mode takes one VACUUM (SQLite
    // migrations run outside a transaction): quick on a new database, once on an old one.
    await sql`pragma auto_vacuum = incremental`.execute(db);
    await sql`vacuum`.execute(db);
  }
  // The rest in one transaction (PostgreSQL: the migrator's own), as 0003: a failure half-way
  // (another process holding the write lock) leaves nothing behind to trip the next start.
  const inTransaction = (work: (trx: Kysely<any>) => Promise<void>) => (db.isTransaction ? work(db) : db.transaction().execute(work));
  await inTransaction(async (trx) => {
    for (const shape of TABLES) await createUsageTable(trx, shape, postgres);
    await trx.schema
      .createTable('usage_seal')
      .addColumn('id', 'integer', (col) => col.primaryKey())
      .addColumn('sealed_through', 'bigint', (col) => col.notNull())
      .execute();
    await trx.insertInto('usage_seal').values({ id: 1, sealed_through: 0 }).execute();
    // Partitions for the days around now; the books keep creating them ahead (usage-books.ts).
    await ensureUsagePartitions(trx, Date.now() - DAY_MS, Date.now() + 3 * DAY_MS);

    await foldLegacyUsage(trx);
    // Usage is read through its own series now; the audit log keeps lifecycle events only,
    // and its indexes no longer need the category to skip usage rows.
    await trx.deleteFrom('audit_events').where('category', '=', 'usage').execute();
    // On SQLite a rebuild may have moved an index to its "__b" name (projections/rebuild.ts).
    for (const index of ['audit_events_by_project_category', 'audit_events_by_key']) {
      for (const name of [index, `${index}__b`]) await trx.schema.dropIndex(name).ifExists().execute();
    }
    await trx.schema.createIndex('audit_events_by_key').on('audit_events').columns(['key_id', 'position']).execute();
    // Counts outgrow 32 bits (SQLite's integers are 64-bit already).
    if (postgres) await sql`alter table api_keys alter column usage_count type bigint`.execute(trx);
  });
  // The VACUUM left a WAL as large as the database: hand it back now, not at the process's end.
  if (!postgres) await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
}

async function createUsageTable(db: Kysely<any>, shape: UsageTableShape, postgres: boolean): Promise<void> {
  let table = db.schema.createTable(shape.name).addColumn(shape.time, 'bigint', (col) => col.notNull());
  if (shape.perKey) table = table.addColumn('key_id', 'text', (col) => col.notNull());
  if (shape.perKey && shape.window) table = table.addColumn('principal', 'text', (col) => col.notNull());
  if (shape.window) table = table.addColumn('instance', 'text', (col) => col.notNull());
  table = table.addColumn('project_id', 'text', (col) => col.notNull());
  // bigint: a busy key passes 2^31 uses within weeks (SQLite's integers are 64-bit anyway).
  for (const count of ['total', 'valid', 'inactive', 'expired', 'deleted']) table = table.addColumn(count, 'bigint', (col) => col.notNull().defaultTo(0));
  if (shape.perKey) {
    table = table.addColumn('last_valid_at', 'bigint').addColumn('last_rejected_at', 'bigint').addColumn('last_rejected_code', 'text');
  }
  table = table.addPrimaryKeyConstraint(`${shape.name}_pk`, shape.primaryKey as any);
  if (postgres && shape.partitioned) table = table.modifyEnd(sql`partition by range (${sql.ref(shape.time)})`);
  // No rowid: the primary key is the row's address, one b-tree instead of two.
  if (!postgres) table = table.modifyEnd(sql`without rowid`);
  await table.execute();
  for (const columns of shape.indexes) {
    await db.schema.createIndex(`${shape.name}_by_${columns[0]}`).on(shape.name).columns(columns).execute();
  }
}

/**
 * KeyUsed events of version 1 (one per flush, in the chained log) become window
 * records of instance "legacy". The events stay where they are (the chain covers
 * them) and projections no longer read them; api_keys already counts them.
 */
async function foldLegacyUsage(db: Kysely<any>): Promise<void> {
  let after = 0;
  for (;;) {
    const events = (await db
      .selectFrom('events')
      .select(['position', 'data', 'metadata'])
      .where('type', '=', 'KeyUsed')
      .where('position', '>', after)
      .orderBy('position')
      .limit(2000)
      .execute()) as { position: number; data: string; metadata: string }[];
    if (events.length === 0) return;
    after = Number(events.at(-1)!.position);
    const windows = new Map<string, UsageWindowsTable>();
    for (const event of events) addLegacyEvent(windows, JSON.parse(event.data), JSON.parse(event.metadata).actor ?? 'unknown');
    const rows = [...windows.values()];
    await ensureUsagePartitions(db, Math.min(...rows.map((row) => row.window_start)), Math.max(...rows.map((row) => row.window_start)));
    await addUsageRows(db, 'usage_windows', USAGE_KEYS.usage_windows, rows);
    await addUsageRows(db, 'usage_project_windows', USAGE_KEYS.usage_project_windows, projectWindowRows(rows));
  }
}

function addLegacyEvent(windows: Map<string, UsageWindowsTable>, data: any, principal: string): void {
  const windowStart = Math.floor(Date.parse(data.firstAt) / MINUTE_MS) * MINUTE_MS;
  const id = `${windowStart}\u0000${data.keyId}\u0000${principal}`;
  let row = windows.get(id);
  if (!row) {
    row = {
      window_start: windowStart,
      key_id: data.keyId,
      principal,
      instance: 'legacy',
      project_id: data.projectId,
      total: 0,
      valid: 0,
      inactive: 0,
      expired: 0,
      deleted: 0,
      last_valid_at: null,
      last_rejected_at: null,
      last_rejected_code: null,
    };
    windows.set(id, row);
  }
  const outcomes = data.outcomes ?? {};
  row.total += data.count;
  row.valid += outcomes.VALID ?? 0;
  row.inactive += outcomes.INACTIVE ?? 0;
  row.expired += outcomes.EXPIRED ?? 0;
  row.deleted += outcomes.DELETED ?? 0;
  const lastValid = data.lastValidAt ? Date.parse(data.lastValidAt) : null;
  if (lastValid !== null && (row.last_valid_at === null || lastValid > row.last_valid_at)) row.last_valid_at = lastValid;
  const lastRejected = data.lastRejectedAt ? Date.parse(data.lastRejectedAt) : null;
  if (lastRejected !== null && (row.last_rejected_at === null || lastRejected > row.last_rejected_at)) {
    row.last_rejected_at = lastRejected;
    row.last_rejected_code = data.lastRejectedCode;
  }
}
