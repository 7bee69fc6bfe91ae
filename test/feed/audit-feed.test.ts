import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/commands/api-key-commands';
import { AuditFeed, FeedError } from '../../src/feed/audit-feed';
import { commandContextFor, tempDatabase } from '../support/temp-database';

// The feed's limits, on a real database, without HTTP (a slow SSE consumer is
// hard to produce on loopback: yoga drains the stream as fast as the socket takes it).

describe('the live feed’s limits', () => {
  let store: Awaited<ReturnType<typeof tempDatabase>>;
  beforeEach(async () => {
    store = await tempDatabase();
  });
  afterEach(() => store.cleanup());

  const generate = (n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => generateApiKey(commandContextFor(store.db), { projectId: 'p', name: `k${i}`, environment: 'live' })));

  it('ends a subscriber that falls too far behind with FEED_OVERRUN, after what it had queued', async () => {
    const feed = new AuditFeed(store.db, { maxQueued: 3, pollMs: 60_000 });
    const events = await feed.subscribe({ subject: 'slow', projectId: 'p' });
    await generate(5);
    await feed.poke();
    const received = [await events.next(), await events.next(), await events.next()];
    expect(received.map((result) => result.value?.type)).toEqual(['KeyGenerated', 'KeyGenerated', 'KeyGenerated']);
    const overrun = await events.next().catch((error: unknown) => error);
    expect(overrun).toBeInstanceOf(FeedError);
    // The first event it missed, named by its time (a log position would reveal other tenants' activity).
    const fourth = await store.db.selectFrom('audit_events').select('occurred_at').orderBy('position').offset(3).limit(1).executeTakeFirstOrThrow();
    expect(overrun).toMatchObject({ code: 'FEED_OVERRUN', message: expect.stringContaining(`auditLog(filter: {from: "${fourth.occurred_at}"})`) });
    expect((overrun as Error).message).not.toMatch(/position/);
    expect(feed.subscriberCount).toBe(0);
    feed.close();
  });

  it('limits the streams one subject may hold open, and frees a place when one closes', async () => {
    const feed = new AuditFeed(store.db, { maxPerSubject: 2, pollMs: 60_000 });
    const first = await feed.subscribe({ subject: 'alice', projectId: 'p' });
    await feed.subscribe({ subject: 'alice', projectId: 'q' });
    await expect(feed.subscribe({ subject: 'alice', projectId: 'p' })).rejects.toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    await feed.subscribe({ subject: 'bob', projectId: 'p' });
    await first.return!();
    await feed.subscribe({ subject: 'alice', projectId: 'p' });
    expect(feed.subscriberCount).toBe(3);
    feed.close();
    expect(feed.subscriberCount).toBe(0);
  });
});
