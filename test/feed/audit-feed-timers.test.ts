import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/commands/api-key-commands';
import { AuditFeed } from '../../src/feed/audit-feed';
import { commandContextFor, tempDatabase } from '../support/temp-database';

// A live feed ends when its token does. Node's timers hold at most 2^31-1 ms
// (24.8 days) and fire at once beyond that, so a stream for a 30-day token must
// not end the moment it starts; a short one must still end on time.

const DAY_MS = 86_400_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('when a live feed ends', () => {
  let store: Awaited<ReturnType<typeof tempDatabase>>;
  let feed: AuditFeed;
  beforeEach(async () => {
    store = await tempDatabase();
    feed = new AuditFeed(store.db, { pollMs: 60_000 });
  });
  afterEach(async () => {
    feed.close();
    await store.cleanup();
  });

  const generate = () => generateApiKey(commandContextFor(store.db), { projectId: 'p', name: 'k', environment: 'live' });

  it('stays open, and delivers, for a token that lasts 30 days', async () => {
    const events = await feed.subscribe({ subject: 'alice', projectId: 'p', endsAt: Date.now() + 30 * DAY_MS });
    await sleep(200);
    expect(feed.subscriberCount).toBe(1);
    await generate();
    await feed.poke();
    const next = await events.next();
    expect(next).toMatchObject({ done: false, value: { type: 'KeyGenerated' } });
    expect(feed.subscriberCount).toBe(1);
  });

  it('stays open for a token that lasts 100 years', async () => {
    await feed.subscribe({ subject: 'alice', projectId: 'p', endsAt: Date.now() + 36_500 * DAY_MS });
    await sleep(200);
    expect(feed.subscriberCount).toBe(1);
  });

  it('still ends on time for a token that lasts 300 ms', async () => {
    const started = Date.now();
    const events = await feed.subscribe({ subject: 'alice', projectId: 'p', endsAt: started + 300 });
    expect(await events.next()).toEqual({ value: undefined, done: true });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2_000);
    expect(feed.subscriberCount).toBe(0);
  });
});
