import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildProjections } from '../../projections/rebuild';
import { PERMISSIONS } from '../../src/auth/principal';
import { signToken } from '../../src/auth/sign-token';
import { type Db, openDatabase } from '../../src/store/database';
import { checkUsageBooks } from '../../src/usage/check-usage-books';
import { UsageBooks } from '../../src/usage/usage-books';
import { gqlAt, type SpawnedServer, spawnServer } from '../support/spawned-server';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TEST_JWT_SECRET } from '../support/test-server';

// Two server processes on one PostgreSQL database: one truth.

const GENERATE = `mutation ($p: String!, $n: String!) { generateApiKey(input: {projectId: $p, name: $n, environment: "live"}) {
  ... on GenerateApiKeyPayload { secret apiKey { id } } } }`;
const VERIFY = `mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code } }`;
const change = (mutation: string) => `mutation ($id: ID!) { r: ${mutation}(input: {id: $id}) { __typename ... on Error { code } } }`;
const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString().slice('ApiKey:'.length);

describe('several instances on one PostgreSQL database', () => {
  let database: TestDatabase;
  let a: SpawnedServer;
  let b: SpawnedServer;
  let db: Db;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url);
    // Hour-long usage windows: each instance writes one record per key and principal (early for
    // a key's first use, then at its stop, into the same row) however slowly the machine runs.
    const env = { USAGE_WINDOW_SECONDS: '3600' };
    [a, b] = await Promise.all([spawnServer(database.url, { ...env, INSTANCE_ID: 'alpha' }), spawnServer(database.url, { ...env, INSTANCE_ID: 'beta' })]);
    token = await signToken(TEST_JWT_SECRET, { sub: 'multi', perms: { '*': [...PERMISSIONS] }, expiresIn: 3600 });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.destroy();
    await database?.cleanup();
  });

  const generate = async (server: SpawnedServer, projectId: string, name: string) => {
    const body = await gqlAt(server.url, token, GENERATE, { p: projectId, n: name });
    return body.data.generateApiKey as { secret: string; apiKey: { id: string } };
  };
  const verify = async (server: SpawnedServer, secret: string) => (await gqlAt(server.url, token, VERIFY, { s: secret })).data.verifyApiKey.code as string;

  it('a deactivation or deletion on one instance stops verification on the other within a second', async () => {
    const key = await generate(a, 'proj_prop', 'propagated');
    expect(await verify(b, key.secret)).toBe('VALID');
    expect(await verify(b, key.secret)).toBe('VALID'); // now cached on b
    for (const [mutation, expected] of [
      ['deactivateApiKey', 'INACTIVE'],
      ['reactivateApiKey', 'VALID'],
      ['deleteApiKey', 'DELETED'],
    ] as const) {
      await gqlAt(a.url, token, change(mutation), { id: key.apiKey.id });
      const started = performance.now();
      let code = await verify(b, key.secret);
      while (code !== expected && performance.now() - started < 1000) code = await verify(b, key.secret);
      expect(code).toBe(expected);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('keeps every stream contiguous under concurrent changes from both, with typed conflicts, and projections equal to a rebuild', async () => {
    const keys = await Promise.all(Array.from({ length: 6 }, (_, i) => generate(i % 2 ? a : b, 'proj_race', `race ${i}`)));
    const mutations = ['deactivateApiKey', 'reactivateApiKey', 'deleteApiKey'];
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const server = i % 2 ? a : b;
          const mutation = mutations[(round + i) % (round < 8 ? 2 : 3)]!;
          return gqlAt(server.url, token, change(mutation), { id: keys[i % keys.length]!.apiKey.id });
        }),
      );
      for (const body of results) {
        expect(body.errors).toBeUndefined();
        outcomes.set(body.data.r.__typename, (outcomes.get(body.data.r.__typename) ?? 0) + 1);
      }
    }
    expect([...outcomes.keys()].every((kind) => /Payload$|^ConflictError$|^InvalidStateError$/.test(kind))).toBe(true);
    expect(outcomes.get('ConflictError') ?? 0).toBeGreaterThan(0); // the race was real

    for (const key of keys) {
      const versions = await db.selectFrom('events').select('stream_version').where('stream_id', '=', rawId(key.apiKey.id)).orderBy('stream_version').execute();
      expect(versions.map((row) => row.stream_version)).toEqual(versions.map((_, i) => i + 1));
    }
    const snapshot = async () => ({
      keys: await db.selectFrom('api_keys').selectAll().orderBy('id').execute(),
      audit: await db.selectFrom('audit_events').selectAll().orderBy('position').execute(),
    });
    const incremental = await snapshot();
    await rebuildProjections(db);
    expect(await snapshot()).toEqual(incremental);
  });

  it('a reader tailing the log by position sees every event exactly once, in order, while both instances write', async () => {
    const seen: number[] = [];
    let last = Number(
      (
        await db
          .selectFrom('events')
          .select((eb) => eb.fn.max('position').as('p'))
          .executeTakeFirst()
      )?.p ?? 0,
    );
    let writing = true;
    const tail = (async () => {
      // Poll while writers run, then once more after they stop: a tailing reader's whole life.
      for (let draining = false; ; ) {
        const rows = await db.selectFrom('events').select('position').where('position', '>', last).orderBy('position').execute();
        for (const row of rows) seen.push(Number(row.position));
        if (rows.length) last = Number(rows.at(-1)!.position);
        if (draining) return;
        if (!writing) draining = true;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const first = last;
    const keys = await Promise.all(Array.from({ length: 40 }, (_, i) => generate(i % 2 ? a : b, 'proj_tail', `tail ${i}`)));
    await Promise.all(keys.map((key, i) => gqlAt((i % 2 ? b : a).url, token, change('deactivateApiKey'), { id: key.apiKey.id })));
    writing = false;
    await tail;
    const rows = await db.selectFrom('events').select('position').where('position', '>', first).orderBy('position').execute();
    const all = rows.map((row) => Number(row.position));
    // What the tail read, in the order it read it, is exactly the log: no position was passed over.
    expect(seen).toEqual(all);
    expect(seen.length).toBeGreaterThanOrEqual(80);
  });

  it('merges usage from both instances: each writes its own windows, counts add up, lastUsedAt is the latest, and the books close each hour once', async () => {
    const key = await generate(a, 'proj_usage', 'shared');
    const other = await signToken(TEST_JWT_SECRET, { sub: 'gateway-2', perms: { '*': ['keys:verify'] }, expiresIn: 3600 });
    const verifyAs = async (server: SpawnedServer, as: string) => (await gqlAt(server.url, as, VERIFY, { s: key.secret })).data.verifyApiKey.code as string;
    // Interleaved on both instances, by two principals.
    await Promise.all([
      (async () => {
        for (let i = 0; i < 7; i++) await verifyAs(a, token);
      })(),
      (async () => {
        for (let i = 0; i < 5; i++) await verifyAs(b, token);
      })(),
      (async () => {
        for (let i = 0; i < 3; i++) await verifyAs(b, other);
      })(),
    ]);
    await Promise.all([a.stop(), b.stop()]); // a graceful stop writes each one's window

    const keyId = rawId(key.apiKey.id);
    const windows = await db
      .selectFrom('usage_windows')
      .select(['instance', 'principal', 'total', 'last_valid_at'])
      .where('key_id', '=', keyId)
      .orderBy('instance')
      .orderBy('principal')
      .execute();
    expect(windows.map(({ instance, principal, total }) => ({ instance, principal, total }))).toEqual([
      { instance: 'alpha', principal: 'multi', total: 7 },
      { instance: 'beta', principal: 'gateway-2', total: 3 },
      { instance: 'beta', principal: 'multi', total: 5 },
    ]);
    const row = await db.selectFrom('api_keys').select(['usage_count', 'last_used_at']).where('id', '=', keyId).executeTakeFirstOrThrow();
    expect(row.usage_count).toBe(15);
    expect(row.last_used_at).toBe(new Date(Math.max(...windows.map((w) => Number(w.last_valid_at)))).toISOString());

    // Both instances close the books at once: each hour is closed once, summing both instances.
    const hourEnd = Math.floor(Date.now() / 3_600_000 + 1) * 3_600_000;
    const otherDb = await openDatabase(database.url, { migrate: false });
    try {
      const retention = { minuteDays: 2, hourDays: 90 };
      const now = hourEnd + 10 * 60_000;
      await Promise.all([new UsageBooks(db, { retention, now: () => now }).run(), new UsageBooks(otherDb, { retention, now: () => now }).run()]);
    } finally {
      await otherDb.destroy();
    }
    const closings = await db.selectFrom('events').select('data').where('stream_id', '=', 'usage-books').where('type', '=', 'UsageHourClosed').execute();
    const closed = closings.map((event) => JSON.parse(event.data).to as string);
    expect(new Set(closed).size).toBe(closed.length);
    expect(closed).toContain(new Date(hourEnd).toISOString());
    const hour = await db.selectFrom('usage_key_hours').select(['total', 'valid']).where('key_id', '=', keyId).execute();
    expect(hour).toEqual([{ total: 15, valid: 15 }]);
    expect((await checkUsageBooks(db)).problems).toEqual([]);
    const before = await db.selectFrom('api_keys').selectAll().orderBy('id').execute();
    await rebuildProjections(db);
    expect(await db.selectFrom('api_keys').selectAll().orderBy('id').execute()).toEqual(before);
  });
});
