import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database';
import { readAll } from '../../src/store/event-store';
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
    await (db as Kysely<any>).insertInto('events').values(
      ['k1', 'k2', 'k3'].map((keyId) => ({ stream_id: keyId, stream_version: 1, type: 'KeyGenerated', schema_version: 1, data: data(keyId), metadata, recorded_at: '2025-01-01T00:00:00.000Z' })),
    ).execute();

    await migrateToLatest(db);
    expect(await checkLogIntegrity(db)).toMatchObject({ ok: true, checkedEvents: 3 });
    const events = await readAll(db, 0, 10);
    expect(events.map((event) => event.data)).toEqual(['k1', 'k2', 'k3'].map((keyId) => expect.objectContaining({ keyId, expiresAt: null, rotatedFrom: null })));
  });
});
