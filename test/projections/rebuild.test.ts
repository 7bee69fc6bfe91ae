import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildProjections } from '../../projections/rebuild';
import { changeApiKey, generateApiKey, type KeyChange, rollApiKey } from '../../src/commands/api-key-commands';
import { DomainError } from '../../src/domain/errors';
import { type ApiKeyFilter, listProjectApiKeys } from '../../src/queries/api-key-queries';
import { findApiKeysAsOf, listProjectApiKeysAsOf } from '../../src/queries/api-keys-as-of';
import { type Db, isPostgres } from '../../src/store/database';
import { UsageBooks } from '../../src/usage/usage-books';
import { KeyVerifier } from '../../src/verification/key-verifier';
import { UsageRecorder } from '../../src/verification/usage-recorder';
import { commandContextFor, tempDatabase } from '../support/temp-database';

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function projectionRows(db: Db) {
  return {
    apiKeys: await db.selectFrom('api_keys').selectAll().orderBy('id').execute(),
    auditEvents: await db.selectFrom('audit_events').selectAll().orderBy('position').execute(),
  };
}

describe('projections rebuilt from the log', () => {
  let store: Awaited<ReturnType<typeof tempDatabase>>;
  const SEED = 20261126;

  beforeAll(async () => {
    store = await tempDatabase();
    const random = mulberry32(SEED);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const actors = ['alice', 'bob', 'carol'];
    const usage = new UsageRecorder(store.db, { windowMs: 60_000, instance: 'test', now: () => clock });
    const verifier = new KeyVerifier(store.db, usage, () => clock);
    // Closing the books and retention run on the same clock: the history spans days.
    const books = new UsageBooks(store.db, { retention: { minuteDays: 1, hourDays: 2 }, now: () => clock });
    const ctx = () => ({ ...commandContextFor(store.db, pick(actors), () => new Date((clock += 1000))), afterCommit: verifier.afterCommit });
    const keys: { keyId: string; secret: string }[] = [];
    const changes: KeyChange[] = ['DeactivateKey', 'ReactivateKey', 'DeleteKey'];

    // A random history: generations, every kind of change (allowed or refused), and verifications.
    const eventCount = async () =>
      Number(
        (
          await store.db
            .selectFrom('events')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    // Counted every 20 steps, not every step: the count is most of the cost on PostgreSQL.
    for (let step = 0; step % 20 !== 0 || (await eventCount()) < 2000; step++) {
      const roll = random();
      try {
        if (keys.length < 5 || roll < 0.08) {
          const expiresAt = random() < 0.3 ? new Date(clock + Math.floor(random() * 600_000) + 2000) : null;
          keys.push(await generateApiKey(ctx(), { projectId: pick(['proj_a', 'proj_b', 'proj_c']), name: `key ${keys.length}`, environment: pick(['live', 'test']), expiresAt }));
        } else if (roll < 0.12) {
          keys.push(await rollApiKey(ctx(), pick(keys).keyId, { gracePeriodSeconds: pick([0, 60, 3600]), reason: pick(['rotation', null]) }));
        } else if (roll < 0.45) {
          await changeApiKey(ctx(), pick(changes.slice(0, roll < 0.42 ? 2 : 3)), pick(keys).keyId, { reason: random() < 0.5 ? 'because' : null });
        } else if (roll < 0.97) {
          await verifier.verify(pick(keys).secret, { subject: pick(actors), perms: new Map([['*', ['keys:verify']]]) });
        } else if (roll < 0.985) {
          await usage.flush(); // a usage window closes
        } else {
          clock += random() < 0.5 ? 3_600_000 : 86_400_000; // a quiet hour or day: the books close and retention runs
          await usage.flush();
          await books.run(clock);
        }
      } catch (error) {
        if (!(error instanceof DomainError)) throw error; // refused commands are part of a real history
      }
    }
    // Everything buffered written, and no early flush left to land during the assertions.
    await usage.stop();
  });
  afterAll(() => store.cleanup());

  it('a rebuild equals what the inline projections and usage flushes wrote, row for row, after books were closed and usage pruned', async () => {
    const incremental = await projectionRows(store.db);
    const books = await store.db.selectFrom('events').select('type').where('stream_id', '=', 'usage-books').execute();
    expect(books.filter((event) => event.type === 'UsageHourClosed').length).toBeGreaterThan(5);
    expect(books.filter((event) => event.type === 'UsagePruned').length).toBeGreaterThan(0);
    expect(incremental.apiKeys.reduce((sum, key) => sum + key.usage_count, 0)).toBeGreaterThan(1000);
    expect(incremental.auditEvents.length).toBeGreaterThanOrEqual(1500);
    expect(new Set(incremental.apiKeys.map((key) => key.status))).toEqual(new Set(['ACTIVE', 'INACTIVE', 'DELETED']));
    // The history holds rolls and expiries too, not just the original three changes.
    expect(incremental.apiKeys.filter((key) => key.rotated_to !== null).length).toBeGreaterThan(5);
    expect(incremental.apiKeys.filter((key) => key.expires_at !== null && key.rotated_to === null).length).toBeGreaterThan(5);

    const { events } = await rebuildProjections(store.db);
    expect(events).toBe(incremental.auditEvents.length + books.length);
    expect(await projectionRows(store.db)).toEqual(incremental);
  });

  it('time travel to the present rebuilds every key exactly as the projection holds it, and filters alike', async () => {
    const current = await store.db.selectFrom('api_keys').selectAll().orderBy('id').execute();
    // After the last event, at the end of the usage window it fell in: time travel counts
    // usage by whole windows, so only once a window has ended does it agree with the table.
    const last = await store.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('recorded_at').as('at'))
      .executeTakeFirstOrThrow();
    const present = new Date(Math.floor(Date.parse(last.at) / 60_000 + 1) * 60_000);
    const folded = await findApiKeysAsOf(
      store.db,
      current.map((key) => key.id),
      new Date('2100-01-01T00:00:00Z'),
    );
    expect(current.map((key) => ({ ...folded.get(key.id), asOf: undefined }))).toEqual(current.map((key) => ({ ...key, asOf: undefined })));

    const filters: ApiKeyFilter[] = [
      {},
      { status: 'ACTIVE' },
      { status: 'INACTIVE' },
      { status: 'EXPIRED' },
      { status: 'DELETED' },
      { environment: 'test' },
      { unusedSince: new Date(present.getTime() - 600_000) },
      { expiresBefore: new Date(present.getTime() + 300_000) },
    ];
    for (const projectId of ['proj_a', 'proj_b']) {
      for (const filter of filters) {
        const page = { limit: 1000, beforePosition: null };
        const fromTable = await listProjectApiKeys(store.db, projectId, filter, page, present);
        const fromLog = await listProjectApiKeysAsOf(store.db, projectId, filter, page, present);
        expect(
          fromLog.map((key) => key.id),
          JSON.stringify(filter),
        ).toEqual(fromTable.map((key) => key.id));
      }
    }
  });

  it('leaves the tables as the migrations made them, columns, constraints and indexes, rebuild after rebuild', async () => {
    const shape = async () => {
      if (isPostgres(store.db)) {
        const columns = await sql<object>`select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
          where table_schema = current_schema() and table_name in ('api_keys', 'audit_events') order by table_name, ordinal_position`.execute(store.db);
        const indexes = await sql<object>`select tablename, indexname, indexdef from pg_indexes
          where schemaname = current_schema() and tablename in ('api_keys', 'audit_events') order by indexname`.execute(store.db);
        const tables = await sql<object>`select table_name from information_schema.tables where table_schema = current_schema() order by table_name`.execute(store.db);
        return { columns: columns.rows, indexes: indexes.rows, tables: tables.rows };
      }
      // SQLite cannot rename an index: a rebuild moves each to its other name (see rebuild.ts).
      const objects = await sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`
        select type, name, tbl_name, sql from sqlite_master where name not like 'kysely%' order by type, tbl_name, name`.execute(store.db);
      return objects.rows.map((row) => ({ ...row, name: row.name.replace(/__b$/, ''), sql: row.sql?.replace(/__b"/, '"') ?? null }));
    };
    const before = await shape();
    await rebuildProjections(store.db);
    expect(await shape()).toEqual(before);
    await rebuildProjections(store.db);
    expect(await shape()).toEqual(before);
  });

  it('rebuilds emptied or corrupted tables back to the same content', async () => {
    const before = await projectionRows(store.db);
    await store.db.deleteFrom('audit_events').where('position', '>', 100).execute();
    await store.db.updateTable('api_keys').set({ status: 'ACTIVE', usage_count: 0 }).execute();
    await rebuildProjections(store.db);
    expect(await projectionRows(store.db)).toEqual(before);
  });
});
