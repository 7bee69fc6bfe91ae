import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectEvents } from '../../projections/project-events';
import type { Db } from '../../src/store/database';
import { readAll } from '../../src/store/event-store';
import { bulkHistory } from '../support/bulk-history';
import { tempDatabase } from '../support/temp-database';
import { TEST_DIALECT } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

// `npm run rebuild` beside a running server: the rebuild works in short
// transactions and swaps its tables in at the end, so the server keeps answering
// (verifications and writes) throughout, and what it built equals what the live
// projections would hold.

async function projectionRows(db: Db) {
  return {
    apiKeys: await db.selectFrom('api_keys').selectAll().orderBy('id').execute(),
    auditEvents: await db.selectFrom('audit_events').selectAll().orderBy('position').execute(),
  };
}

function runRebuildCli(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/rebuild.ts'], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('rebuild beside a live server', () => {
  let server: TestServer;
  let secrets: string[];

  beforeAll(async () => {
    server = await startTestServer({ usageWindowSeconds: 1 });
    // On SQLite 50k events (each key generated and deactivated): replayed in one transaction
    // they held the write lock for seconds. PostgreSQL never shared that lock; a smaller
    // history checks the swap there. Usage windows too: the rebuild takes usage from them.
    const size = TEST_DIALECT === 'sqlite' ? { keys: 25_000, usagePerKey: 2 } : { keys: 2500, usagePerKey: 2 };
    ({ secrets } = await bulkHistory(server.db, { projectId: 'proj_live', deactivateEvery: 1, ...size }));
  }, 120_000);
  afterAll(() => server.close());

  it('keeps answering verifications and writes while npm run rebuild runs, and the rebuilt tables equal the live projection', async () => {
    await server.flushUsage();
    const before = await projectionRows(server.db);
    const beforePosition = before.auditEvents.at(-1)!.position;
    expect(beforePosition).toBeGreaterThanOrEqual(TEST_DIALECT === 'sqlite' ? 50_000 : 5000);

    const gateway = await server.tokenFor('gateway', { '*': ['keys:verify'] });
    const latencies: number[] = [];
    const failures: unknown[] = [];
    let stop = false;
    let madeKeys: string[] = [];
    const timed = async (run: () => Promise<boolean>) => {
      const started = performance.now();
      try {
        if (!(await run())) failures.push('unexpected answer');
      } catch (error) {
        failures.push(error);
      }
      latencies.push(performance.now() - started);
    };
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        await timed(async () => {
          const body = await server.gql('mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code } }', { s: secrets[(i * 7) % secrets.length] }, { token: gateway });
          return ['VALID', 'INACTIVE'].includes(body.data?.verifyApiKey?.code);
        });
        await timed(async () => {
          if (i % 2 === 0 || madeKeys.length === 0) {
            const body = await server.gql(
              `mutation { generateApiKey(input: {projectId: "proj_live", name: "during ${i}", environment: "live"}) { ... on GenerateApiKeyPayload { apiKey { id } } } }`,
            );
            const id = body.data?.generateApiKey?.apiKey?.id;
            if (id) madeKeys.push(id);
            return Boolean(id);
          }
          const [id] = madeKeys;
          madeKeys = madeKeys.slice(1);
          const body = await server.gql('mutation ($id: ID!) { deactivateApiKey(input: {id: $id}) { __typename } }', { id });
          return body.data?.deactivateApiKey?.__typename === 'DeactivateApiKeyPayload';
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 300));
    const rebuild = await runRebuildCli(server.databaseUrl);
    const duringRebuild = latencies.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await load;
    await server.flushUsage();

    expect(rebuild.code, rebuild.output).toBe(0);
    expect(rebuild.output).toMatch(/Rebuilt projections from \d+ events/);
    expect(failures).toEqual([]);
    expect(duringRebuild).toBeGreaterThan(10);
    const slowest = Math.max(...latencies);
    console.log(`${latencies.length} requests beside the rebuild, slowest ${slowest.toFixed(0)} ms`);
    expect(slowest).toBeLessThan(1000);

    // What the live projection would hold: the tables as they were before the rebuild,
    // with every later event applied one append at a time, as the server does.
    const incremental = await tempDatabase();
    try {
      for (let i = 0; i < before.apiKeys.length; i += 100)
        await incremental.db
          .insertInto('api_keys')
          .values(before.apiKeys.slice(i, i + 100))
          .execute();
      for (let i = 0; i < before.auditEvents.length; i += 200)
        await incremental.db
          .insertInto('audit_events')
          .values(before.auditEvents.slice(i, i + 200))
          .execute();
      const later = await readAll(server.db, beforePosition, 1_000_000);
      expect(later.length).toBeGreaterThan(10);
      for (const event of later) await projectEvents(incremental.db, [event]);
      const rebuilt = await projectionRows(server.db);
      expect(rebuilt.auditEvents.length).toBe(before.auditEvents.length + later.length);
      // Usage is not in the chained log: the rebuilt usage columns come from the usage log.
      const withoutUsage = ({ apiKeys, auditEvents }: Awaited<ReturnType<typeof projectionRows>>) => ({
        auditEvents,
        apiKeys: apiKeys.map(({ usage_count: _, last_used_at: __, last_rejected_at: ___, last_rejected_code: ____, ...key }) => key),
      });
      expect(withoutUsage(rebuilt)).toEqual(withoutUsage(await projectionRows(incremental.db)));
      const logged = await server.db
        .selectFrom('usage_windows')
        .select((eb) => eb.fn.sum<number>('total').as('total'))
        .executeTakeFirstOrThrow();
      expect(rebuilt.apiKeys.reduce((sum, key) => sum + key.usage_count, 0)).toBe(Number(logged.total));
      expect(Number(logged.total)).toBeGreaterThan(2 * secrets.length);
    } finally {
      await incremental.cleanup();
    }
  }, 120_000);
});
