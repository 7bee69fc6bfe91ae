import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildProjections } from '../../projections/rebuild';
import { type Db, openDatabase, postgresConfig } from '../../src/store/database';
import { generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// A long reader (a dump, a report) holding a projection table while a rebuild
// wants to swap it: the rebuild waits its turn in short tries, and the service
// keeps answering meanwhile instead of queueing behind the swap's table lock.

describe('rebuild swap beside a long reader', () => {
  let server: TestServer;
  let rebuilder: Db;
  let reader: pg.Client;
  beforeAll(async () => {
    server = await startTestServer();
    rebuilder = await openDatabase(server.databaseUrl, { migrate: false });
    reader = new pg.Client(postgresConfig(server.databaseUrl));
    await reader.connect();
  });
  afterAll(async () => {
    await reader?.end();
    await rebuilder?.destroy();
    await server?.close();
  });

  it('waits for the reader in short tries while mutations and list queries keep answering, then swaps', async () => {
    const { apiKey } = await generateKey(server, { projectId: 'proj_lock' });
    await reader.query('begin');
    await reader.query('select count(*) from api_keys'); // holds ACCESS SHARE on api_keys until commit
    const rebuild = rebuildProjections(rebuilder);
    const slowest: number[] = [];
    const until = performance.now() + 2500;
    while (performance.now() < until) {
      const started = performance.now();
      const body = await server.gql(`{ apiKey(id: "${apiKey.id}") { name } }`);
      expect(body.errors).toBeUndefined();
      slowest.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await reader.query('commit');
    expect(await rebuild).toMatchObject({ events: expect.any(Number) });
    // Each try holds the other tables (and appends) at most 200 ms; nothing waits for the reader.
    expect(Math.max(...slowest)).toBeLessThan(1000);
    expect((await server.gql(`{ apiKey(id: "${apiKey.id}") { name } }`)).data.apiKey.name).toBe('Default key');
  });
});
