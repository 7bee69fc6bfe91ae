import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rebuildProjections } from '../../projections/rebuild';
import { commitEvents } from '../../src/store/commit-events';
import { type Db, openDatabase } from '../../src/store/database';
import { appendToStream, readAll } from '../../src/store/event-store';
import { checkLogIntegrity } from '../../src/store/log-integrity';
import { migrateToLatest } from '../../src/store/migrations';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

// A log written by the first version of the service (no expiry, no chain) must
// upgrade in place: old events read in today's shape, and the chain covers them.

describe('upgrading a database written by version 1', () => {
  let database: TestDatabase;
  let db: Db;
  beforeEach(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url, { migrate: false });
  });
  afterEach(async () => {
    await db.destroy();
    await database.cleanup();
  });

  it('chains the existing events and reads version-1 KeyGenerated with no expiry', async () => {
    await migrateToLatest(db, '0001_event_log_and_projections');
    const metadata = JSON.stringify({ actor: 'old', requestId: 'r', causationId: 'r', correlationId: 'r', clientAddress: null, userAgent: null });
    const data = (keyId: string) => JSON.stringify({ keyId, projectId: 'p', name: keyId, environment: 'live', secretHash: `h-${keyId}`, maskedKey: 'm' });
    await (db as Kysely<any>)
      .insertInto('events')
      .values(
        ['k1', 'k2', 'k3'].map((keyId) => ({
          stream_id: keyId,
          stream_version: 1,
          type: 'KeyGenerated',
          schema_version: 1,
          data: data(keyId),
          metadata,
          recorded_at: '2025-01-01T00:00:00.000Z',
        })),
      )
      .execute();

    await migrateToLatest(db);
    expect(await checkLogIntegrity(db)).toMatchObject({ ok: true, checkedEvents: 3 });
    const events = await readAll(db, 0, 10);
    expect(events.map((event) => event.data)).toEqual(['k1', 'k2', 'k3'].map((keyId) => expect.objectContaining({ keyId, expiresAt: null, rotatedFrom: null })));
  });

  it('folds version-1 KeyUsed events into the usage log and drops their audit rows; usage reads and rebuilds as before', async () => {
    await migrateToLatest(db, '0004_server_secrets');
    const legacy = db as Kysely<any>;
    const metadata = (actor: string) => JSON.stringify({ actor, requestId: 'r', causationId: 'r', correlationId: 'r', clientAddress: null, userAgent: null });
    const generated = JSON.stringify({ keyId: 'k1', projectId: 'p', name: 'k1', environment: 'live', secretHash: 'h', maskedKey: 'm', expiresAt: null, rotatedFrom: null });
    const used = (firstAt: string, count: number, valid: number, lastValidAt: string | null, lastRejectedAt: string | null) =>
      JSON.stringify({
        keyId: 'k1',
        projectId: 'p',
        count,
        firstAt,
        lastAt: firstAt,
        outcomes: { VALID: valid, INACTIVE: count - valid },
        lastValidAt,
        lastRejectedAt,
        lastRejectedCode: lastRejectedAt ? 'INACTIVE' : null,
      });
    // Written through the version-4 service's own path, so projections and chain are as it left them.
    const append = (streamId: string, version: number, type: string, data: string, actor: string, at: string) =>
      commitEvents(db, (trx) => appendToStream(trx, streamId, version, [{ type, data: JSON.parse(data) } as any], { metadata: JSON.parse(metadata(actor)), recordedAt: at }));
    await append('k1', 0, 'KeyGenerated', generated, 'alice', '2025-01-01T00:00:00.000Z');
    await append('k1:usage', 0, 'KeyUsed', used('2025-01-01T00:00:10.000Z', 3, 3, '2025-01-01T00:00:10.500Z', null), 'gateway', '2025-01-01T00:00:11.000Z');
    await append('k1:usage', 1, 'KeyUsed', used('2025-01-01T00:00:40.000Z', 2, 1, '2025-01-01T00:00:40.000Z', '2025-01-01T00:00:40.900Z'), 'gateway', '2025-01-01T00:00:41.000Z');
    await append('k1:usage', 2, 'KeyUsed', used('2025-01-01T00:01:05.000Z', 1, 1, '2025-01-01T00:01:05.000Z', null), 'gateway', '2025-01-01T00:01:06.000Z');
    // What version 4's projections wrote for these: an audit row each, usage in api_keys.
    await legacy
      .insertInto('audit_events')
      .values(
        [2, 3, 4].map((position) => ({
          position,
          key_id: 'k1',
          project_id: 'p',
          type: 'KeyUsed',
          actor: 'gateway',
          request_id: 'r',
          occurred_at: 'x',
          category: 'usage',
          changes: '[]',
        })),
      )
      .execute();
    await legacy
      .updateTable('api_keys')
      .set({ usage_count: 6, last_used_at: '2025-01-01T00:01:05.000Z', last_rejected_at: '2025-01-01T00:00:40.900Z', last_rejected_code: 'INACTIVE' })
      .execute();
    const before = await legacy.selectFrom('api_keys').select(['usage_count', 'last_used_at', 'last_rejected_at', 'last_rejected_code']).execute();

    await migrateToLatest(db);

    const windows = await db
      .selectFrom('usage_windows')
      .select(['window_start', 'principal', 'instance', 'total', 'valid', 'inactive', 'last_valid_at', 'last_rejected_at'])
      .orderBy('window_start')
      .execute();
    expect(windows).toEqual([
      {
        window_start: Date.parse('2025-01-01T00:00:00Z'),
        principal: 'gateway',
        instance: 'legacy',
        total: 5,
        valid: 4,
        inactive: 1,
        last_valid_at: Date.parse('2025-01-01T00:00:40.000Z'),
        last_rejected_at: Date.parse('2025-01-01T00:00:40.900Z'),
      },
      {
        window_start: Date.parse('2025-01-01T00:01:00Z'),
        principal: 'gateway',
        instance: 'legacy',
        total: 1,
        valid: 1,
        inactive: 0,
        last_valid_at: Date.parse('2025-01-01T00:01:05.000Z'),
        last_rejected_at: null,
      },
    ]);
    expect(await db.selectFrom('audit_events').select('type').execute()).toEqual([{ type: 'KeyGenerated' }]);
    // The old events stay in the chain; a rebuild takes usage from the usage log and agrees.
    expect(await checkLogIntegrity(db)).toMatchObject({ ok: true, checkedEvents: 4 });
    await rebuildProjections(db);
    expect(await db.selectFrom('api_keys').select(['usage_count', 'last_used_at', 'last_rejected_at', 'last_rejected_code']).execute()).toEqual(before);
  });
});
