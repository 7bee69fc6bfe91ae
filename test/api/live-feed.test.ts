import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpaqueIds, loadOpaqueIdSecret, type OpaqueIds } from '../../src/graphql/opaque-ids';
import { changeKey, generateKey, rollKey, verify } from '../support/api-key-operations';
import { sseSubscription, until } from '../support/sse-subscription';
import { TEST_DIALECT } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const FEED = `subscription ($projectId: String!, $includeUsage: Boolean) {
  auditEvents(projectId: $projectId, includeUsage: $includeUsage) { id type projectId keyId actor reason rotatedToKeyId usage { count } }
}`;

// Audit ids are encrypted log positions; the test reads the database's secret to check log order.
let ids: OpaqueIds;
const positionOf = (id: string) => ids.decode('AuditEvent id', Buffer.from(id, 'base64').toString().split(':')[1]!) ?? Number.NaN;
const eventsOf = (results: { data?: any; errors?: unknown }[]) => {
  expect(results.filter((result) => result.errors)).toEqual([]);
  return results.map((result) => result.data.auditEvents);
};

describe('the live audit feed over server-sent events', () => {
  let server: TestServer;
  beforeAll(async () => {
    // A long poll interval: delivery here must come from commits, not from polling.
    server = await startTestServer({ actor: 'ops', feedPollMs: 60_000 });
    ids = createOpaqueIds(await loadOpaqueIdSecret(server.db));
  });
  afterAll(() => server.close());

  it('delivers each new event of the project once and in log order, and nothing of other projects', async () => {
    await generateKey(server, { projectId: 'proj_live', name: 'before the subscription' });
    const auditor = await server.tokenFor('auditor', { proj_live: ['audit:read'] });
    const feed = sseSubscription(server.url, auditor, FEED, { projectId: 'proj_live' });
    const firstFive = feed.take(5);
    await until(() => server.feedSubscribers === 1);

    const a = await generateKey(server, { projectId: 'proj_live', name: 'a' });
    await generateKey(server, { projectId: 'proj_elsewhere', name: 'not for this feed' });
    await changeKey(server, 'deactivateApiKey', a.apiKey.id, 'investigating');
    await verify(server, a.secret);
    await changeKey(server, 'reactivateApiKey', a.apiKey.id, 'false alarm');
    await server.flushUsage(); // usage is not in the audit log: nothing to send
    const rolled = await rollKey(server, { id: a.apiKey.id, gracePeriodSeconds: 60, reason: 'rotation' });

    const events = eventsOf(await firstFive);
    expect(events.map((event) => [event.type, event.keyId, event.reason, event.rotatedToKeyId])).toEqual([
      ['KeyGenerated', a.apiKey.id, null, null],
      ['KeyDeactivated', a.apiKey.id, 'investigating', null],
      ['KeyReactivated', a.apiKey.id, 'false alarm', null],
      ['KeyRolled', a.apiKey.id, 'rotation', rolled.apiKey.id],
      ['KeyGenerated', rolled.apiKey.id, null, null],
    ]);
    expect(events.every((event) => event.projectId === 'proj_live' && event.actor === 'ops')).toBe(true);
    const positions = events.map((event) => positionOf(event.id));
    expect(positions.every(Number.isSafeInteger)).toBe(true);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));

    // Nothing was held back or doubled: the very next event is the next one made.
    const sentinel = await generateKey(server, { projectId: 'proj_live', name: 'sentinel' });
    expect(eventsOf(await feed.take(1)).map((event) => event.keyId)).toEqual([sentinel.apiKey.id]);
    await feed.close();
    await until(() => server.feedSubscribers === 0);
  });

  it('sends no usage even when asked with the deprecated includeUsage, and a burst of 200 events complete and in order', async () => {
    const auditor = await server.tokenFor('auditor', { proj_burst: ['audit:read'] });
    const feed = sseSubscription(server.url, auditor, FEED, { projectId: 'proj_burst', includeUsage: true });
    try {
      const all = feed.take(200, 20_000);
      await until(() => server.feedSubscribers === 1);
      const used = await generateKey(server, { projectId: 'proj_burst', name: 'used' });
      await verify(server, used.secret);
      await server.flushUsage();
      await Promise.all(Array.from({ length: 199 }, (_, i) => generateKey(server, { projectId: 'proj_burst', name: `burst ${i}` })));
      const events = eventsOf(await all);
      expect(events).toHaveLength(200);
      expect(events[0]).toMatchObject({ type: 'KeyGenerated', keyId: used.apiKey.id });
      // The flush came between the first key and the burst: a usage event would have been second.
      expect(events.every((event) => event.type === 'KeyGenerated' && event.usage === null)).toBe(true);
      const positions = events.map((event) => positionOf(event.id));
      expect(new Set(positions).size).toBe(200);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      // Nothing else was queued behind the burst: the next event is the next one made.
      const sentinel = await generateKey(server, { projectId: 'proj_burst', name: 'sentinel' });
      expect(eventsOf(await feed.take(1)).map((event) => event.keyId)).toEqual([sentinel.apiKey.id]);
    } finally {
      await feed.close();
      await until(() => server.feedSubscribers === 0);
    }
  });

  it('refuses a subscriber without audit:read on that project, before any stream opens', async () => {
    for (const perms of [{ proj_live: ['keys:read', 'keys:write'] }, { proj_other: ['audit:read'] }, { '*': ['keys:verify'] }] as const) {
      const token = await server.tokenFor('intruder', perms as any);
      const feed = sseSubscription(server.url, token, FEED, { projectId: 'proj_live' });
      const [refused, ...rest] = await feed.take(2, 3000);
      expect(refused!.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      expect(refused!.data).toBeUndefined();
      expect(rest).toEqual([]);
      await feed.close();
    }
    expect(server.feedSubscribers).toBe(0);
  });

  it('ends the stream when the subscriber’s token expires', async () => {
    // Accepted within the 30 s clock skew, so it stops being valid 2 to 3 s from now.
    const token = await server.tokenFor('short', { proj_live: ['audit:read'] }, -27);
    const feed = sseSubscription(server.url, token, FEED, { projectId: 'proj_live' });
    // A refused or failed stream would yield an error first; only an accepted one simply ends.
    // (Not waiting to see it open: on a loaded machine it may be over by then.)
    expect(await feed.ended(8000)).toBe(true);
    expect(server.feedSubscribers).toBe(0);
    await feed.close();
  });

  it('completes open streams when the server shuts down, and shuts down promptly', async () => {
    const other = await startTestServer();
    const feed = sseSubscription(other.url, other.token, FEED, { projectId: 'proj_any' });
    await until(() => other.feedSubscribers === 1);
    const started = Date.now();
    const ended = feed.ended(5000);
    await other.close();
    expect(await ended).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
    await feed.close();
  });

  it.runIf(TEST_DIALECT === 'postgres')('delivers events committed by another instance (LISTEN/NOTIFY)', async () => {
    const other = await startTestServer({ databaseUrl: server.databaseUrl, feedPollMs: 60_000 });
    try {
      const auditor = await server.tokenFor('auditor', { proj_across: ['audit:read'] });
      const feed = sseSubscription(server.url, auditor, FEED, { projectId: 'proj_across' });
      const two = feed.take(2);
      await until(() => server.feedSubscribers === 1);
      const made = await generateKey(other, { projectId: 'proj_across', name: 'made on B' });
      await changeKey(other, 'deleteApiKey', made.apiKey.id, 'done');
      expect(eventsOf(await two).map((event) => [event.type, event.keyId])).toEqual([
        ['KeyGenerated', made.apiKey.id],
        ['KeyDeleted', made.apiKey.id],
      ]);
      await feed.close();
    } finally {
      await other.close();
    }
  });
});
