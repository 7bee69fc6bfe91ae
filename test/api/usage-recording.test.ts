import { Writable } from 'node:stream';
import SQLite from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MERGED_PRINCIPALS } from '../../events/usage-events';
import { PERMISSIONS } from '../../src/auth/principal';
import { signToken } from '../../src/auth/sign-token';
import { startServer } from '../../src/server/create-server';
import { openDatabase } from '../../src/store/database';
import { changeKey, generateKey } from '../support/api-key-operations';
import { createTestDatabase, TEST_DIALECT } from '../support/test-database';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/test-server';

// Usage as a key's owner sees it: lastUsedAt moves at once when a quiet key is used
// again, and trails by at most one window while it is in constant use; counts add
// up; each gateway (principal) has records of its own; and while the database is
// down, memory stays bounded and what was counted is written once it is back.

const VERIFY = `mutation ($secret: String!) { verifyApiKey(input: { secret: $secret }) { valid code } }`;
const KEY_USAGE = `query ($id: ID!) { apiKey(id: $id) { lastUsedAt usageCount lastRejectedCode } }`;
const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString().slice('ApiKey:'.length);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function verifyAs(server: TestServer, secret: string, token?: string) {
  const body = await server.gql(VERIFY, { secret }, token === undefined ? {} : { token });
  if (body.errors) throw new Error(`verify errored: ${JSON.stringify(body.errors)}`);
  return body.data.verifyApiKey as { valid: boolean; code: string };
}

async function keyUsage(server: TestServer, id: string) {
  const body = await server.gql(KEY_USAGE, { id });
  return body.data.apiKey as { lastUsedAt: string | null; usageCount: number; lastRejectedCode: string | null };
}

const usageRows = (server: TestServer, keyId: string) => server.db.selectFrom('usage_windows').selectAll().where('key_id', '=', rawId(keyId)).orderBy('principal').execute();

describe('usage recording, one window an hour long (only a quiet key is written before it ends)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ usageWindowSeconds: 3600, instanceId: 'test-instance-1' });
  });
  afterAll(() => server?.close());

  it("a key's first use after a quiet spell shows in lastUsedAt within a second, with no flush asked for", async () => {
    const { apiKey, secret } = await generateKey(server, { projectId: 'proj_fresh' });
    expect((await keyUsage(server, apiKey.id)).lastUsedAt).toBeNull();

    const usedAt = Date.now();
    expect(await verifyAs(server, secret)).toMatchObject({ valid: true });
    let usage = await keyUsage(server, apiKey.id);
    while (usage.lastUsedAt === null && Date.now() - usedAt < 3000) {
      await sleep(25);
      usage = await keyUsage(server, apiKey.id);
    }
    const shownAfter = Date.now() - usedAt;

    expect(usage.lastUsedAt).not.toBeNull();
    expect(shownAfter).toBeLessThan(1000);
    expect(Date.parse(usage.lastUsedAt!)).toBeGreaterThanOrEqual(usedAt - 5);
    expect(usage.usageCount).toBe(1);

    // A second use moments later is no longer news: it waits for the window's end (or a flush).
    await verifyAs(server, secret);
    await sleep(600);
    expect((await keyUsage(server, apiKey.id)).usageCount).toBe(1);
    await server.flushUsage();
    expect((await keyUsage(server, apiKey.id)).usageCount).toBe(2);
  });

  it('usageCount after a flush equals the verifications made, by outcome, with the last rejection', async () => {
    const a = await generateKey(server, { projectId: 'proj_u' });
    const b = await generateKey(server, { projectId: 'proj_u' });
    await Promise.all(Array.from({ length: 25 }, () => verifyAs(server, a.secret)));
    for (let i = 0; i < 5; i++) await verifyAs(server, b.secret);
    await changeKey(server, 'deactivateApiKey', b.apiKey.id);
    for (let i = 0; i < 3; i++) expect(await verifyAs(server, b.secret)).toMatchObject({ code: 'INACTIVE' });

    await server.flushUsage();

    expect(await keyUsage(server, a.apiKey.id)).toMatchObject({ usageCount: 25, lastRejectedCode: null });
    expect(await keyUsage(server, b.apiKey.id)).toMatchObject({ usageCount: 8, lastRejectedCode: 'INACTIVE' });
    const [rowB, ...moreB] = await usageRows(server, b.apiKey.id);
    expect(moreB).toEqual([]);
    expect(rowB).toMatchObject({ principal: 'tester', instance: 'test-instance-1', total: 8, valid: 5, inactive: 3, expired: 0, deleted: 0, last_rejected_code: 'INACTIVE' });
  });

  it('two gateways (two tokens) verifying one key give a record each; the key counts both', async () => {
    const { apiKey, secret } = await generateKey(server, { projectId: 'proj_two' });
    const gatewayA = await server.tokenFor('gateway-a', { '*': ['keys:verify'] });
    const gatewayB = await server.tokenFor('gateway-b', { '*': ['keys:verify'] });
    for (let i = 0; i < 4; i++) await verifyAs(server, secret, gatewayA);
    for (let i = 0; i < 7; i++) await verifyAs(server, secret, gatewayB);

    await server.flushUsage();

    const rows = await usageRows(server, apiKey.id);
    expect(rows.map(({ principal, instance, total, valid }) => ({ principal, instance, total, valid }))).toEqual([
      { principal: 'gateway-a', instance: 'test-instance-1', total: 4, valid: 4 },
      { principal: 'gateway-b', instance: 'test-instance-1', total: 7, valid: 7 },
    ]);
    expect((await keyUsage(server, apiKey.id)).usageCount).toBe(11);
  });

  it('never makes a lifecycle change conflict, nor the reverse, however they race', async () => {
    const { apiKey, secret } = await generateKey(server, { projectId: 'proj_race' });
    let verifications = 0;
    for (let round = 0; round < 40; round++) {
      const mutation = round % 2 === 0 ? 'deactivateApiKey' : 'reactivateApiKey';
      const [change] = await Promise.all([
        changeKey(server, mutation, apiKey.id),
        ...Array.from({ length: 5 }, async () => {
          await verifyAs(server, secret);
          verifications++;
        }),
        server.flushUsage(),
      ]);
      expect(change.__typename).toBe(`${mutation[0]!.toUpperCase()}${mutation.slice(1)}Payload`);
    }
    await server.flushUsage();
    const key = await server.gql(`query ($id: ID!) { apiKey(id: $id) { usageCount version status } }`, { id: apiKey.id });
    expect(key.data.apiKey).toEqual({ usageCount: verifications, version: 41, status: 'ACTIVE' });
    const lifecycle = await server.db.selectFrom('events').select('stream_version').where('stream_id', '=', rawId(apiKey.id)).orderBy('stream_version').execute();
    expect(lifecycle.map((row) => row.stream_version)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
  });
});

describe('usage recording in constant use, with a 2-second window', () => {
  const WINDOW_MS = 2000;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ usageWindowSeconds: WINDOW_MS / 1000 });
  });
  afterAll(() => server?.close());

  it('lastUsedAt trails the latest use by at most one window, and the key is written about once per window, not per use', async () => {
    const { apiKey, secret } = await generateKey(server, { projectId: 'proj_busy' });
    const writesBefore = usageWrites(server);
    const started = Date.now();
    let verifications = 0;
    let worstLag = 0;
    while (Date.now() - started < 3 * WINDOW_MS) {
      await verifyAs(server, secret);
      verifications++;
      const { lastUsedAt } = await keyUsage(server, apiKey.id);
      worstLag = Math.max(worstLag, Date.now() - (lastUsedAt === null ? started : Date.parse(lastUsedAt)));
      await sleep(20);
    }
    const elapsed = Date.now() - started;
    const writes = usageWrites(server) - writesBefore;

    expect(verifications).toBeGreaterThan(30);
    expect(worstLag).toBeLessThanOrEqual(WINDOW_MS + 500);
    // The first use (quiet) is written at once, then one write per window boundary crossed.
    expect(writes).toBeLessThanOrEqual(Math.ceil(elapsed / WINDOW_MS) + 2);

    await server.flushUsage();
    expect((await keyUsage(server, apiKey.id)).usageCount).toBe(verifications);
  });
});

/** Statements that wrote usage records so far. */
const usageWrites = (server: TestServer) => server.statements.filter((statement) => /insert into "usage_windows"/i.test(statement)).length;

describe('usage recording on stop', () => {
  it('writes buffered usage when the server stops gracefully', async () => {
    const database = await createTestDatabase();
    try {
      const other = await startServer({ port: 0, databaseUrl: database.url, auth: { jwtSecret: TEST_JWT_SECRET }, usageWindowSeconds: 3600 });
      const token = await signToken(TEST_JWT_SECRET, { sub: 'stopper', perms: { '*': [...PERMISSIONS] }, expiresIn: 60 });
      const post = (query: string) =>
        fetch(`${other.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        }).then((response) => response.json());
      const generated = await post('mutation { generateApiKey(input: {projectId: "p", name: "n", environment: "live"}) { ... on GenerateApiKeyPayload { secret } } }');
      for (let i = 0; i < 4; i++) await post(`mutation { verifyApiKey(input: {secret: "${generated.data.generateApiKey.secret}"}) { code } }`);
      await other.close(); // the window is still open: close() must write it

      const reopened = await openDatabase(database.url);
      const row = await reopened.selectFrom('api_keys').select(['usage_count', 'last_used_at']).executeTakeFirstOrThrow();
      await reopened.destroy();
      expect(row.usage_count).toBe(4);
      expect(row.last_used_at).not.toBeNull();
    } finally {
      await database.cleanup();
    }
  });
});

describe.runIf(TEST_DIALECT === 'sqlite')('usage recording while the database cannot be written (SQLite write lock held elsewhere)', () => {
  const MAX_TALLIES = 3;
  let server: TestServer;
  let lockHolder: SQLite.Database | null = null;
  const logLines: Record<string, any>[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    server = await startTestServer({ usageWindowSeconds: 3600, usageMaxTallies: MAX_TALLIES, logger: pino({ level: 'warn' }, sink) });
  });
  afterAll(async () => {
    lockHolder?.close();
    await server?.close();
  });

  it('merges tallies per key, then drops (counted, logged), never holds more than the cap, answers every verification, and writes what it kept once the database is back', async () => {
    const keys = await Promise.all(Array.from({ length: 5 }, (_, i) => generateKey(server, { projectId: 'proj_cap', name: `key ${i}` })));
    const gateways = await Promise.all(['gw-a', 'gw-b', 'gw-c'].map((sub) => server.tokenFor(sub, { '*': ['keys:verify'] })));

    // Another process takes the write lock: the server's usage writes wait 5 s for it, then fail.
    lockHolder = new SQLite(server.databaseUrl);
    lockHolder.exec('BEGIN IMMEDIATE');
    let verifications = 0;
    let slowest = 0;
    const verifyRound = async () => {
      for (const { secret } of keys) {
        for (const token of gateways) {
          const started = performance.now();
          expect(await verifyAs(server, secret, token)).toMatchObject({ valid: true });
          slowest = Math.max(slowest, performance.now() - started);
          verifications++;
        }
      }
    };
    await verifyRound();
    await server.flushUsage(); // fails after the 5 s lock wait, and puts its tallies back
    await verifyRound();
    expect(logLines.some((line) => line.msg === 'usage write failed; will retry' && line.keys > 0)).toBe(true);

    lockHolder.exec('ROLLBACK');
    lockHolder.close();
    lockHolder = null;
    await server.flushUsage();

    expect(slowest).toBeLessThan(1000); // verification never waited on the lock
    const compacted = logLines.filter((line) => line.level === 40 && /merged/.test(line.msg));
    const droppedLogs = logLines.filter((line) => line.level === 50 && typeof line.dropped === 'number');
    expect(compacted.length).toBeGreaterThan(0);
    for (const line of compacted) expect(line.tallies).toBeLessThanOrEqual(MAX_TALLIES);
    expect(droppedLogs.length).toBeGreaterThan(0);
    const dropped = droppedLogs.reduce((sum, line) => sum + line.dropped, 0);

    const rows = (await Promise.all(keys.map(({ apiKey }) => usageRows(server, apiKey.id)))).flat();
    const written = rows.reduce((sum, row) => sum + row.total, 0);
    const counted = (await Promise.all(keys.map(({ apiKey }) => keyUsage(server, apiKey.id)))).reduce((sum, usage) => sum + usage.usageCount, 0);
    expect(rows.some((row) => row.principal === MERGED_PRINCIPALS)).toBe(true);
    expect(counted).toBe(written);
    // Every verification is either written or counted as dropped: none is lost silently, none twice.
    expect(written + dropped).toBe(verifications);
    expect(written).toBeGreaterThan(0);
  });
});
