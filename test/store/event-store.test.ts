import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyEvent } from '../../events/key-events';
import { ConflictError } from '../../src/domain/errors';
import { appendAtStreamEnds, appendToStream, readAll, readStream } from '../../src/store/event-store';
import { tempDatabase } from '../support/temp-database';
import { TEST_DIALECT } from '../support/test-database';

const execFileAsync = promisify(execFile);

async function runRacer(file: string, streamId: string, rounds: number): Promise<{ appended: number; conflicts: number }> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', 'test/support/append-racer.ts', file, streamId, String(rounds)]);
  return JSON.parse(stdout);
}

const metadata = { actor: 'alice', requestId: 'r1', causationId: 'r1', correlationId: 'r1', clientAddress: null, userAgent: null };
const recordedAt = '2026-01-01T00:00:00.000Z';
const deactivated = (keyId: string): KeyEvent => ({ type: 'KeyDeactivated', data: { keyId, projectId: 'p', reason: null } });

describe('event store on SQLite', () => {
  let store: Awaited<ReturnType<typeof tempDatabase>>;
  beforeEach(async () => {
    store = await tempDatabase();
  });
  afterEach(() => store.cleanup());

  const append = (streamId: string, expected: number, events: KeyEvent[], db = store.db) =>
    db.transaction().execute((trx) => appendToStream(trx, streamId, expected, events, { metadata, recordedAt }));

  it('numbers a stream from 1 and the global log in commit order', async () => {
    await append('a', 0, [deactivated('a'), deactivated('a')]);
    await append('b', 0, [deactivated('b')]);
    await append('a', 2, [deactivated('a')]);
    expect((await readStream(store.db, 'a')).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    const all = await readAll(store.db, 0, 100);
    expect(all.map((e) => [e.streamId, e.streamVersion])).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['a', 3],
    ]);
    expect(all.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    expect(all[0]).toMatchObject({ metadata, recordedAt, schemaVersion: 1, type: 'KeyDeactivated' });
  });

  it('rejects a stale expected version with a Conflict and writes nothing', async () => {
    await append('a', 0, [deactivated('a')]);
    await expect(append('a', 0, [deactivated('a')])).rejects.toBeInstanceOf(ConflictError);
    await expect(append('a', 5, [deactivated('a')])).rejects.toBeInstanceOf(ConflictError);
    expect(await readStream(store.db, 'a')).toHaveLength(1);
  });

  it('lets only one of many racing appends at the same version through', async () => {
    await append('a', 0, [deactivated('a')]);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => append('a', 1, [deactivated('a')])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConflictError);
    }
    expect((await readStream(store.db, 'a')).map((e) => e.streamVersion)).toEqual([1, 2]);
  });

  it('keeps a stream contiguous when two processes race to append to it', async () => {
    const race = () => runRacer(store.url, 'contested', 150);
    const [first, second] = await Promise.all([race(), race()]);
    const versions = (await readStream(store.db, 'contested')).map((e) => e.streamVersion);
    expect(first.appended + second.appended).toBe(versions.length);
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
    expect(first.appended + first.conflicts).toBe(150);
    expect(second.appended + second.conflicts).toBe(150);
  });

  it('the database itself refuses a duplicate (stream, version), whatever the application checks', async () => {
    await append('a', 0, [deactivated('a')]);
    await expect(
      sql`insert into events (stream_id, stream_version, type, schema_version, data, metadata, recorded_at, chain_hash)
          values ('a', 1, 'KeyDeactivated', 1, '{}', '{}', ${recordedAt}, 'x')`.execute(store.db),
    ).rejects.toThrow(/unique/i);
  });

  it("appends one event at each stream's end in one go, as the usage flush does", async () => {
    const atEnds = (streamIds: string[]) =>
      store.db.transaction().execute((trx) =>
        appendAtStreamEnds(
          trx,
          streamIds.map((streamId) => ({ streamId, event: deactivated(streamId), metadata })),
          recordedAt,
        ),
      );
    await append('u', 0, [deactivated('u')]);
    await atEnds(['u', 'v']);
    await atEnds(['v', 'u', 'w']);
    expect((await readStream(store.db, 'u')).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect((await readStream(store.db, 'v')).map((e) => e.streamVersion)).toEqual([1, 2]);
    expect((await readStream(store.db, 'w')).map((e) => e.streamVersion)).toEqual([1]);
  });

  it('reads an event written at an older schema version in the current shape, leaving the stored row as it was', async () => {
    const v1 = JSON.stringify({ keyId: 'k', projectId: 'p', name: 'n', environment: 'live', secretHash: 'h', maskedKey: 'm' });
    await store.db.transaction().execute(async (trx) => {
      await appendToStream(trx, 'k', 0, [deactivated('k')], { metadata, recordedAt });
      // Rewrite it as version 1 of KeyGenerated would have been written.
      await trx.updateTable('events').set({ type: 'KeyGenerated', schema_version: 1, data: v1 }).where('stream_id', '=', 'k').execute();
    });
    const [event] = await readStream(store.db, 'k');
    expect(event).toMatchObject({ type: 'KeyGenerated', schemaVersion: 1, data: { keyId: 'k', name: 'n', expiresAt: null, rotatedFrom: null } });
    const row = await store.db.selectFrom('events').select('data').where('stream_id', '=', 'k').executeTakeFirstOrThrow();
    expect(row.data).toBe(v1);
  });

  it('never records an event earlier than the one before it, so "recorded by then" is a prefix of the log', async () => {
    await store.db.transaction().execute((trx) => appendToStream(trx, 'a', 0, [deactivated('a')], { metadata, recordedAt: '2026-01-01T00:00:05.000Z' }));
    // Another instance whose clock is 3 s behind appends next.
    await store.db.transaction().execute((trx) => appendToStream(trx, 'b', 0, [deactivated('b')], { metadata, recordedAt: '2026-01-01T00:00:02.000Z' }));
    await store.db.transaction().execute((trx) => appendToStream(trx, 'c', 0, [deactivated('c')], { metadata, recordedAt: '2026-01-01T00:00:09.000Z' }));
    expect((await readAll(store.db, 0, 10)).map((event) => event.recordedAt)).toEqual(['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:05.000Z', '2026-01-01T00:00:09.000Z']);
  });

  it('refuses to append after an event without a chain hash rather than restart the chain', async () => {
    await append('a', 0, [deactivated('a')]);
    const unhashed = sql`insert into events (stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
      values ('old', 1, 'KeyDeactivated', 1, '{}', '{}', ${recordedAt})`;
    if (TEST_DIALECT === 'postgres') {
      // PostgreSQL itself refuses such a row.
      await expect(unhashed.execute(store.db)).rejects.toThrow(/chain_hash/);
      return;
    }
    await unhashed.execute(store.db);
    await expect(append('a', 1, [deactivated('a')])).rejects.toThrow(/no chain hash/);
    expect(await readStream(store.db, 'a')).toHaveLength(1);
  });

  it('rolls the append back with the transaction it ran in', async () => {
    await expect(
      store.db.transaction().execute(async (trx) => {
        await appendToStream(trx, 'a', 0, [deactivated('a')], { metadata, recordedAt });
        throw new Error('projection failed');
      }),
    ).rejects.toThrow('projection failed');
    expect(await readStream(store.db, 'a')).toEqual([]);
  });

  it.runIf(TEST_DIALECT === 'sqlite')('runs in WAL mode and fsyncs every commit (synchronous=FULL)', async () => {
    const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
    expect(journal.rows[0]?.journal_mode).toBe('wal');
    expect(synchronous.rows[0]?.synchronous).toBe(2);
  });
});
