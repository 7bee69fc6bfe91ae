import { randomBytes } from 'node:crypto';
import { type Kysely, type Migration, Migrator, type Selectable, sql } from 'kysely';
import { migrateUsageLog } from '../usage/usage-log-migration';
import { isPostgres } from './database';
import { chainHash, GENESIS_HASH } from './event-chain';
import type { EventsTable } from './schema';

// Migrations live in code so the server and `npm run rebuild` apply the same ones
// without a directory lookup at run time.
const migrations: Record<string, Migration> = {
  '0001_event_log_and_projections': {
    async up(db: Kysely<any>) {
      // The one dialect-specific column: a global position that is never reused.
      const postgres = isPostgres(db);
      await db.schema
        .createTable('events')
        .$call((table) =>
          postgres ? table.addColumn('position', 'bigserial', (col) => col.primaryKey()) : table.addColumn('position', 'integer', (col) => col.primaryKey().autoIncrement()),
        )
        .addColumn('stream_id', 'text', (col) => col.notNull())
        .addColumn('stream_version', 'integer', (col) => col.notNull())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('schema_version', 'integer', (col) => col.notNull())
        .addColumn('data', 'text', (col) => col.notNull())
        .addColumn('metadata', 'text', (col) => col.notNull())
        .addColumn('recorded_at', 'text', (col) => col.notNull())
        // Optimistic concurrency: two writers that read the same version cannot both append.
        .addUniqueConstraint('events_stream_version_unique', ['stream_id', 'stream_version'])
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('project_id', 'text', (col) => col.notNull())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('environment', 'text', (col) => col.notNull())
        .addColumn('key_hash', 'text', (col) => col.notNull().unique())
        .addColumn('masked_key', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('created_by', 'text', (col) => col.notNull())
        .addColumn('created_position', 'bigint', (col) => col.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('last_rejected_at', 'text')
        .addColumn('last_rejected_code', 'text')
        .addColumn('usage_count', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('deactivated_at', 'text')
        .addColumn('deleted_at', 'text')
        .addColumn('status_changed_at', 'text', (col) => col.notNull())
        .addColumn('status_changed_by', 'text', (col) => col.notNull())
        .addColumn('status_reason', 'text')
        .addColumn('version', 'integer', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('api_keys_by_project').on('api_keys').columns(['project_id', 'created_position']).execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('position', 'bigint', (col) => col.primaryKey())
        .addColumn('key_id', 'text', (col) => col.notNull())
        .addColumn('project_id', 'text', (col) => col.notNull())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('actor', 'text', (col) => col.notNull())
        .addColumn('request_id', 'text', (col) => col.notNull())
        .addColumn('client_address', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('occurred_at', 'text', (col) => col.notNull())
        .addColumn('category', 'text', (col) => col.notNull())
        .addColumn('reason', 'text')
        .addColumn('usage', 'text')
        .addColumn('changes', 'text', (col) => col.notNull())
        .execute();
      // Histories page newest first within a category, so a key used a million times
      // still shows its lifecycle events from one index range.
      await db.schema.createIndex('audit_events_by_project').on('audit_events').columns(['project_id', 'position']).execute();
      await db.schema.createIndex('audit_events_by_project_category').on('audit_events').columns(['project_id', 'category', 'position']).execute();
      await db.schema.createIndex('audit_events_by_key').on('audit_events').columns(['key_id', 'category', 'position']).execute();
    },
  },
  '0002_expiry_and_rotation': {
    async up(db: Kysely<any>) {
      // Projections only: the log's rows are never changed. Keys of version-1 events
      // have no expiry and no predecessor, which is what these nulls say.
      for (const column of ['expires_at', 'rotated_from', 'rotated_to']) {
        await db.schema.alterTable('api_keys').addColumn(column, 'text').execute();
      }
      for (const column of ['rotated_from', 'rotated_to']) {
        await db.schema.alterTable('audit_events').addColumn(column, 'text').execute();
      }
    },
  },
  '0003_event_hash_chain': {
    async up(db: Kysely<any>) {
      // Chains the events already in the log, in position order, so a log from
      // before this version is covered from its first event. One transaction (on
      // PostgreSQL the migrator's own): an interrupted upgrade leaves no half-chained log.
      const inTransaction = (work: (trx: Kysely<any>) => Promise<void>) => (db.isTransaction ? work(db) : db.transaction().execute(work));
      await inTransaction(async (trx) => {
        await trx.schema.alterTable('events').addColumn('chain_hash', 'text').execute();
        let previous = GENESIS_HASH;
        let after = 0;
        for (;;) {
          const rows = (await trx.selectFrom('events').selectAll().where('position', '>', after).orderBy('position').limit(500).execute()) as Selectable<EventsTable>[];
          if (rows.length === 0) break;
          const links = rows.map((row) => ({ position: Number(row.position), hash: (previous = chainHash(previous, row)) }));
          await trx
            .updateTable('events')
            .set({
              chain_hash: sql`case position ${sql.join(
                links.map((link) => sql`when ${link.position} then ${link.hash}`),
                sql` `,
              )} end`,
            })
            .where(
              'position',
              'in',
              links.map((link) => link.position),
            )
            .execute();
          after = links.at(-1)!.position;
        }
      });
      // From here on every event must carry its link. (SQLite cannot add the constraint
      // to an existing column; there one process owns the file and always writes it.)
      if (isPostgres(db))
        await db.schema
          .alterTable('events')
          .alterColumn('chain_hash', (column) => column.setNotNull())
          .execute();
    },
  },
  '0004_server_secrets': {
    async up(db: Kysely<any>) {
      // Secrets that every instance on this database must share and that outlive
      // restarts, such as the key that makes audit ids and cursors opaque
      // (src/graphql/opaque-ids.ts). Made here, once per database, so instances
      // starting together cannot each pick their own.
      await db.schema
        .createTable('server_secrets')
        .addColumn('name', 'text', (col) => col.primaryKey())
        .addColumn('value', 'text', (col) => col.notNull())
        .execute();
      await db
        .insertInto('server_secrets')
        .values({ name: 'opaque_ids', value: randomBytes(32).toString('hex') })
        .execute();
    },
  },
  '0005_usage_log': { up: migrateUsageLog },
};

/** The latest migration whose tables the server reads while it starts (its secrets): without it, it cannot start. */
export const MIGRATION_NEEDED_TO_START = '0004_server_secrets';

/** Applies every migration, or those up to and including `target` (tests of the upgrade path). */
export async function migrateToLatest(db: Kysely<any>, target?: string): Promise<void> {
  const migrator = await migratorFor(db);
  const { error } = target ? await migrator.migrateTo(target) : await migrator.migrateToLatest();
  if (error) throw error;
}

/** Migrations this build knows that the database has not applied yet (readiness reports them). */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const known = await (await migratorFor(db)).getMigrations();
  return known.filter((migration) => !migration.executedAt).map((migration) => migration.name);
}

async function migratorFor(db: Kysely<any>): Promise<Migrator> {
  // On PostgreSQL Kysely looks for its bookkeeping tables in every schema; name
  // ours, so databases with several schemas (one per tenant, or per test) work.
  const schema = isPostgres(db) ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  return new Migrator({ db, provider: { getMigrations: async () => migrations }, migrationTableSchema: schema });
}
