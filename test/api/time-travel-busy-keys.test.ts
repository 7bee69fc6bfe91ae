import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureUsagePartitions } from '../../src/usage/usage-partitions';
import { bulkHistory } from '../support/bulk-history';
import { startTestServer, type TestServer } from '../support/test-server';

// Busy keys have a usage record per window. Time travel must add them up in a few
// statements whatever their number (not one per key or per window), reading each
// stretch of time from the coarsest resolution the usage log holds for it, and
// without holding the event loop (better-sqlite3 is synchronous) while it does.

const BUSY = 'proj_busy';
const QUIET = 'proj_quiet';
const KEYS = 100;
const WINDOWS_PER_KEY = 1200;
const MINUTE = 60_000;
const DAY = 86_400_000;
/**
 * The servers' clocks in this test run days ahead of the machine's. On PostgreSQL the
 * servers of other tests, running at the same time on the same database, announce their
 * events' times to every listener (the notification channels are the database's, not the
 * schema's); a server moves its clock forward to a believable announced time, and times
 * ahead of the machine's clock are not believed. So no other test can move this clock.
 */
const DAY0 = Math.floor(Date.now() / DAY) * DAY + 10 * DAY;
/** `time` (HH:MM:SS) on the day `day` days after DAY0. */
const at = (day: number, time: string) => DAY0 + day * DAY + Date.parse(`1970-01-01T${time}Z`);
const iso = (day: number, time: string) => new Date(at(day, time)).toISOString();
/**
 * The history is made at a known moment, so every stretch below is known: each key has
 * a window a minute from 16:30 on day -1 through 12:29 on day 0 (450 on day -1, 720 in
 * the whole hours of day 0, 30 in its hour 12:00).
 */
const MADE_AT = at(0, '12:30:30');

interface Usage {
  usageCount: number;
  lastUsedAt: string | null;
}

describe('time travel over busy keys', () => {
  let server: TestServer;
  let clock = MADE_AT + 30_000;
  let busyKeys: string[] = [];
  /** Every window the busy keys have, read back before the books close any. */
  let windows: { key_id: string; window_start: number; total: number; last_valid_at: number | null }[] = [];

  beforeAll(async () => {
    // Windows are kept 2 days and hourly summaries 3 (the minimum), so a few days cover every resolution.
    server = await startTestServer({ usageRecording: false, now: () => new Date(clock), usageRetention: { minuteDays: 2, hourDays: 3 } });
    vi.useFakeTimers({ toFake: ['Date'], now: MADE_AT });
    try {
      ({ keyIds: busyKeys } = await bulkHistory(server.db, { projectId: BUSY, keys: KEYS, usagePerKey: WINDOWS_PER_KEY }));
      await bulkHistory(server.db, { projectId: QUIET, keys: KEYS, usagePerKey: 1 });
    } finally {
      vi.useRealTimers();
    }
    windows = (await server.db.selectFrom('usage_windows').select(['key_id', 'window_start', 'total', 'last_valid_at']).where('project_id', '=', BUSY).execute()).map((row) => ({
      key_id: row.key_id,
      window_start: Number(row.window_start),
      total: Number(row.total),
      last_valid_at: row.last_valid_at === null ? null : Number(row.last_valid_at),
    }));
  }, 300_000);
  afterAll(() => server?.close());

  /** Each busy key's usage in the windows that started before `boundary`, summed here from the rows themselves. */
  const usageBefore = (boundary: number) => {
    const usage = new Map<string, Usage>(busyKeys.map((keyId) => [keyId, { usageCount: 0, lastUsedAt: null }]));
    const last = new Map<string, number>();
    for (const row of windows) {
      if (row.window_start >= boundary) continue;
      usage.get(row.key_id)!.usageCount += row.total;
      if (row.last_valid_at !== null && row.last_valid_at > (last.get(row.key_id) ?? -Infinity)) last.set(row.key_id, row.last_valid_at);
    }
    for (const [keyId, lastValid] of last) usage.get(keyId)!.lastUsedAt = new Date(lastValid).toISOString();
    return usage;
  };

  /** Repeats closing and retention as of `clock` until there is nothing more to do (a run closes at most a day of hours). */
  const closeBooks = async () => {
    const books = () => server.db.selectFrom('events').select('position').where('stream_id', '=', 'usage-books').execute();
    for (let runs = 0; runs < 10; runs++) {
      const before = (await books()).length;
      await server.runUsageBooks(clock);
      if ((await books()).length === before) return;
    }
    throw new Error('the books kept finding work');
  };

  const USAGE_TABLES = ['usage_windows', 'usage_key_hours', 'usage_key_days'] as const;

  /** A page of 100 keys asOf a moment: the answer, the statements it took, and the longest the event loop was held. */
  const pageAsOf = async (projectId: string, asOf: number) => {
    server.statements.length = 0;
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const body = await server.gql(`query ($asOf: DateTime) { project(id: "${projectId}") { apiKeys(first: 100, asOf: $asOf) { edges { node { id usageCount lastUsedAt } } } } }`, {
      asOf: new Date(asOf).toISOString(),
    });
    delay.disable();
    expect(body.errors).toBeUndefined();
    const statements = [...server.statements];
    const keys = new Map<string, Usage>(
      body.data.project.apiKeys.edges.map(({ node }: any) => [
        Buffer.from(node.id, 'base64')
          .toString()
          .replace(/^ApiKey:/, ''),
        { usageCount: node.usageCount, lastUsedAt: node.lastUsedAt },
      ]),
    );
    const reads = Object.fromEntries(USAGE_TABLES.map((table) => [table, statements.filter((statement) => statement.includes(`from "${table}"`)).length]));
    return { keys, statements: statements.length, reads, blockedMs: delay.max / 1e6 };
  };

  /**
   * The page of busy keys asOf `asOf` holds, for every key, the usage of the windows
   * before `boundary`; it reads each of `tables` once, besides the candidate keys, their
   * lifecycle events and the books' three lookups; a page of keys with one window each
   * takes the same statements; and the event loop is never held long while it runs
   * (unless `holdsLoop` says why it may be).
   */
  const expectPage = async (asOf: number, boundary: number, tables: readonly (typeof USAGE_TABLES)[number][], holdsLoop?: string) => {
    const busy = await pageAsOf(BUSY, asOf);
    expect(busy.keys.size).toBe(KEYS);
    expect(busy.keys).toEqual(usageBefore(boundary));
    const reads = Object.fromEntries(USAGE_TABLES.map((table) => [table, tables.includes(table) ? 1 : 0]));
    expect(busy.reads).toEqual(reads);
    expect(busy.statements).toBe(5 + tables.length);
    const quiet = await pageAsOf(QUIET, asOf);
    expect(quiet.keys.size).toBe(KEYS);
    expect({ statements: quiet.statements, reads: quiet.reads }).toEqual({ statements: busy.statements, reads: busy.reads });
    console.log(
      `page of ${KEYS} busy keys asOf ${new Date(asOf).toISOString()}: ${busy.statements} statements, event loop held at most ${busy.blockedMs.toFixed(1)} ms${holdsLoop ? ` (${holdsLoop})` : ''}`,
    );
    // Generous: this catches a loop held for a whole fold, not a slow machine.
    if (!holdsLoop) expect(busy.blockedMs).toBeLessThan(100);
    return busy.keys;
  };

  it('the history is as described', () => {
    expect(windows).toHaveLength(KEYS * WINDOWS_PER_KEY);
    const starts = windows.map((row) => row.window_start);
    expect([Math.min(...starts), Math.max(...starts)]).toEqual([at(-1, '16:30:00'), at(0, '12:29:00')]);
  });

  it('before the books close anything: every window, read from the windows', async () => {
    // Not bounded here: the windows not yet closed are summed in one statement, so on SQLite the
    // loop is held in proportion to them (about 100 ms for these 120,000). The books close every
    // hour 5 minutes after it ends, which keeps them to about an hour's worth (as below).
    const keys = await expectPage(clock, clock - (clock % MINUTE), ['usage_windows'], 'twenty hours of windows not yet closed');
    expect([...keys.values()].every((key) => key.usageCount === WINDOWS_PER_KEY && key.lastUsedAt === iso(0, '12:29:01'))).toBe(true);
  });

  it('with the hours closed: days, hours and the open hour’s windows, each counted once', async () => {
    clock = at(0, '12:40:00');
    await closeBooks();
    // Hour 12:00 is not over; day -1 is complete.
    expect(await server.db.selectFrom('usage_key_days').select('key_id').where('day_start', '=', at(-1, '00:00:00')).execute()).toHaveLength(KEYS);
    const keys = await expectPage(clock, clock, ['usage_windows', 'usage_key_hours', 'usage_key_days']);
    expect([...keys.values()].every((key) => key.usageCount === WINDOWS_PER_KEY)).toBe(true);
  });

  it('once the windows are released: whole hours, read from the summaries', async () => {
    clock = at(3, '00:10:00');
    await closeBooks();
    expect(await server.db.selectFrom('usage_windows').select('key_id').execute()).toEqual([]);
    // Made at 12:30:30: usage up to 12:00, the last whole hour; the 30 windows after it no longer count.
    const atMaking = await expectPage(MADE_AT, at(0, '12:00:00'), ['usage_key_hours', 'usage_key_days']);
    expect([...atMaking.values()].every((key) => key.usageCount === WINDOWS_PER_KEY - 30 && key.lastUsedAt === iso(0, '11:59:01'))).toBe(true);
    await expectPage(at(0, '13:00:00'), at(0, '13:00:00'), ['usage_key_hours', 'usage_key_days']);

    // Retention records a release before it removes rows (in batches, or partitions a day at a time):
    // a released window still on disk must not count.
    await ensureUsagePartitions(server.db, at(0, '12:10:00'), at(0, '12:10:00'), ['usage_windows']);
    const leftover = {
      window_start: at(0, '12:10:00'),
      key_id: busyKeys[0]!,
      principal: 'late',
      instance: 'bulk',
      project_id: BUSY,
      total: 1,
      valid: 1,
      inactive: 0,
      expired: 0,
      deleted: 0,
      last_valid_at: at(0, '12:10:01'),
      last_rejected_at: null,
      last_rejected_code: null,
    };
    await server.db.insertInto('usage_windows').values(leftover).execute();
    try {
      expect((await pageAsOf(BUSY, MADE_AT)).keys.get(busyKeys[0]!)).toEqual(atMaking.get(busyKeys[0]!));
    } finally {
      await server.db.deleteFrom('usage_windows').where('principal', '=', 'late').execute();
    }
  });

  it('once the hours are released too: whole days, read from the daily summaries', async () => {
    clock = at(4, '00:10:00');
    await closeBooks();
    expect(await server.db.selectFrom('usage_key_hours').select('key_id').execute()).toEqual([]);
    // Usage up to the day's start: the 450 windows of day -1.
    const atMaking = await expectPage(MADE_AT, at(0, '00:00:00'), ['usage_key_days']);
    expect([...atMaking.values()].every((key) => key.usageCount === 450 && key.lastUsedAt === iso(-1, '23:59:01'))).toBe(true);
    // A released hourly summary still on disk must not count either.
    await ensureUsagePartitions(server.db, at(0, '05:00:00'), at(0, '05:00:00'), ['usage_key_hours']);
    const leftover = {
      hour_start: at(0, '05:00:00'),
      key_id: busyKeys[0]!,
      project_id: BUSY,
      total: 60,
      valid: 60,
      inactive: 0,
      expired: 0,
      deleted: 0,
      last_valid_at: at(0, '05:59:01'),
      last_rejected_at: null,
      last_rejected_code: null,
    };
    await server.db.insertInto('usage_key_hours').values(leftover).execute();
    try {
      expect((await pageAsOf(BUSY, MADE_AT)).keys.get(busyKeys[0]!)).toEqual(atMaking.get(busyKeys[0]!));
    } finally {
      await server.db.deleteFrom('usage_key_hours').where('hour_start', '=', leftover.hour_start).execute();
    }
    const nextDay = await expectPage(at(1, '00:00:00'), at(1, '00:00:00'), ['usage_key_days']);
    expect([...nextDay.values()].every((key) => key.usageCount === WINDOWS_PER_KEY)).toBe(true);
  });
});
