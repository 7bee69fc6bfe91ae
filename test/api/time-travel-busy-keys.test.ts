import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkHistory } from '../support/bulk-history';
import { TEST_DIALECT } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

// Keys that were busy have one usage event per window: time travel must add them
// up in short statements, or one page of busy keys holds the event loop (better-sqlite3
// is synchronous) and every other request, cached verifications included, waits.

const PROJECT = 'proj_busy';
const KEYS = 100;
const WINDOWS_PER_KEY = 1200;

describe.runIf(TEST_DIALECT === 'sqlite')('time travel over busy keys', () => {
  let server: TestServer;
  let tenant: string;

  beforeAll(async () => {
    server = await startTestServer({ usageRecording: false });
    await bulkHistory(server.db, { projectId: PROJECT, keys: KEYS, usagePerKey: WINDOWS_PER_KEY });
    tenant = await server.tokenFor('tenant', { [PROJECT]: ['keys:read'] });
  }, 180_000);
  afterAll(() => server?.close());

  it('rebuilds a page of 100 keys with 1,200 usage windows each without holding the event loop', async () => {
    const asOf = new Date().toISOString();
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const body = await server.gql(
      `query ($asOf: DateTime) { project(id: "${PROJECT}") { apiKeys(first: 100, asOf: $asOf) { edges { node { usageCount lastUsedAt } } } } }`,
      { asOf },
      { token: tenant },
    );
    delay.disable();
    expect(body.errors).toBeUndefined();
    const nodes = body.data.project.apiKeys.edges.map((edge: any) => edge.node);
    expect(nodes).toHaveLength(KEYS);
    // Every window counted, across page boundaries inside and between keys.
    expect(nodes.every((node: any) => node.usageCount === WINDOWS_PER_KEY && node.lastUsedAt)).toBe(true);
    const longestMs = delay.max / 1e6;
    console.log(`longest event-loop block while rebuilding ${KEYS * WINDOWS_PER_KEY} usage events: ${longestMs.toFixed(1)} ms`);
    expect(longestMs).toBeLessThan(100);
  }, 60_000);
});
