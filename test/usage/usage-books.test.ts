import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageWindow } from '../../events/usage-events';
import { rebuildProjections } from '../../projections/rebuild';
import { generateApiKey } from '../../src/commands/api-key-commands';
import { ValidationError } from '../../src/domain/errors';
import { isPostgres } from '../../src/store/database';
import { checkUsageBooks } from '../../src/usage/check-usage-books';
import { commitUsage } from '../../src/usage/commit-usage';
import { UsageBooks } from '../../src/usage/usage-books';
import { keptFrom, readBooksState } from '../../src/usage/usage-books-state';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/usage/usage-periods';
import { seriesRange, topKeys, usageSeries } from '../../src/usage/usage-queries';
import { commandContextFor, tempDatabase } from '../support/temp-database';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const RETENTION = { minuteDays: 2, hourDays: 4 };

describe('closing the usage books', () => {
  let store: Awaited<ReturnType<typeof tempDatabase>>;
  let keys: string[];

  beforeEach(async () => {
    store = await tempDatabase();
    const ctx = commandContextFor(store.db, 'alice', () => new Date(T0 - DAY_MS));
    keys = [];
    for (let i = 0; i < 3; i++) keys.push((await generateApiKey(ctx, { projectId: 'proj', name: `key ${i}`, environment: 'live', expiresAt: null })).keyId);
  });
  afterEach(async () => store.cleanup());

  /** Every 10 minutes for `hours` hours from `start`: each key used by two principals on two instances. */
  async function traffic(start: number, hours: number) {
    for (let at = start; at < start + hours * HOUR_MS; at += 10 * MINUTE_MS) {
      const windows: UsageWindow[] = [];
      keys.forEach((keyId, k) => {
        for (const [principal, instance] of [
          ['gateway-a', 'one'],
          ['gateway-b', 'two'],
        ]) {
          const rejected = k === 2 ? 1 : 0;
          windows.push({
            keyId,
            projectId: 'proj',
            principal: principal!,
            instance: instance!,
            windowStart: at,
            total: k + 2,
            valid: k + 2 - rejected,
            inactive: rejected,
            expired: 0,
            deleted: 0,
            lastValidAt: at + 1000 * (k + 1),
            lastRejectedAt: rejected ? at + 5000 : null,
            lastRejectedCode: rejected ? 'INACTIVE' : null,
          });
        }
      });
      await commitUsage(store.db, windows, at + MINUTE_MS);
    }
  }

  const books = (now: number) => new UsageBooks(store.db, { retention: RETENTION, now: () => now });
  const usageColumns = () => store.db.selectFrom('api_keys').select(['id', 'usage_count', 'last_used_at', 'last_rejected_at', 'last_rejected_code']).orderBy('id').execute();
  async function series(granularity: 'MINUTE' | 'HOUR' | 'DAY', from: number, to: number, scope: { keyId: string } | { projectId: string }) {
    const state = await readBooksState(store.db);
    return usageSeries(store.db, scope, { from, to }, granularity, state.closedThrough);
  }
  const closings = async () => (await store.db.selectFrom('events').select('type').where('stream_id', '=', 'usage-books').execute()).map((row) => row.type);

  it('folds closed hours and complete days into summaries that answer as the windows did, and a rebuild equals the incremental result', async () => {
    await traffic(T0, 30);
    const before = await usageColumns();
    const hourly = await series('HOUR', T0, T0 + 30 * HOUR_MS, { keyId: keys[1]! });
    const daily = await series('DAY', T0, T0 + 2 * DAY_MS, { projectId: 'proj' });
    expect(hourly.points.reduce((sum, point) => sum + point.total, 0)).toBe(30 * 6 * 2 * 3);

    const now = T0 + 30 * HOUR_MS + 10 * MINUTE_MS;
    const run = books(now);
    for (let i = 0; i < 3; i++) await run.run(now);
    // 30 hours of usage, each closed once its 5-minute grace has passed; the first day completed.
    expect(await closings()).toEqual(Array(30).fill('UsageHourClosed'));
    expect((await readBooksState(store.db)).closedThrough).toBe(T0 + 30 * HOUR_MS);
    expect(await store.db.selectFrom('usage_key_days').selectAll().where('day_start', '=', T0).execute()).toHaveLength(3);

    // Same answers from the summaries as from the windows.
    expect(await series('HOUR', T0, T0 + 30 * HOUR_MS, { keyId: keys[1]! })).toEqual(hourly);
    expect(await series('DAY', T0, T0 + 2 * DAY_MS, { projectId: 'proj' })).toEqual(daily);
    expect(await usageColumns()).toEqual(before);
    const report = await checkUsageBooks(store.db);
    expect(report.problems).toEqual([]);
    expect(report.closings).toBe(30);

    await rebuildProjections(store.db);
    expect(await usageColumns()).toEqual(before);
  });

  it('retention releases old windows and hours, recorded in the books; what is kept still verifies and rebuilds equal', async () => {
    await traffic(T0, 48);
    const before = await usageColumns();
    const daily = await series('DAY', T0, T0 + 2 * DAY_MS, { keyId: keys[0]! });
    const ranking = await topKeys(store.db, 'proj', T0, T0 + 2 * DAY_MS, 10, keptFrom(await readBooksState(store.db), RETENTION, T0), null);

    const later = T0 + 7 * DAY_MS;
    for (let i = 0; i < 3; i++) await books(later).run(later);
    const state = await readBooksState(store.db);
    expect(state.prunedBefore.MINUTE).toBe(T0 + 2 * DAY_MS);
    expect(state.prunedBefore.HOUR).toBe(T0 + 2 * DAY_MS);
    const count = async (table: 'usage_windows' | 'usage_key_hours') =>
      Number(
        (
          await store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count('usage_windows')).toBe(0);
    expect(await count('usage_key_hours')).toBe(0);
    if (isPostgres(store.db)) {
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_inherits join pg_class c on c.oid = inhrelid join pg_namespace ns on ns.oid = c.relnamespace where ns.nspname = current_schema() and c.relname in ('usage_windows_d20260301', 'usage_windows_d20260302', 'usage_key_hours_d20260301')`.execute(
        store.db,
      );
      // Dropped whole, not emptied row by row.
      expect(rows[0]!.n).toBe(0);
    }

    // Days are kept: the same day series and ranking, now from daily summaries alone.
    expect(await series('DAY', T0, T0 + 2 * DAY_MS, { keyId: keys[0]! })).toEqual(daily);
    expect((await topKeys(store.db, 'proj', T0, T0 + 2 * DAY_MS, 10, keptFrom(state, RETENTION, later), state.closedThrough)).keys).toEqual(ranking.keys);
    expect((await checkUsageBooks(store.db)).problems).toEqual([]);
    await rebuildProjections(store.db);
    expect(await usageColumns()).toEqual(before);

    // Asking for minutes or hours of a released period is refused, not answered empty.
    const kept = keptFrom(state, RETENTION, later);
    expect(() => seriesRange(T0, T0 + HOUR_MS, 'MINUTE', kept)).toThrow(ValidationError);
    expect(() => seriesRange(T0, T0 + DAY_MS, 'HOUR', kept)).toThrow(ValidationError);
    expect(seriesRange(T0, T0 + DAY_MS, 'DAY', kept)).toEqual({ from: T0, to: T0 + DAY_MS });
  });

  it('finds a kept usage row changed, added or removed after its hour was closed', async () => {
    await traffic(T0, 3);
    const now = T0 + 4 * HOUR_MS;
    await books(now).run(now);
    expect((await checkUsageBooks(store.db)).ok).toBe(true);

    await store.db
      .updateTable('usage_windows')
      .set({ total: 1000 })
      .where('key_id', '=', keys[0]!)
      .where('window_start', '=', T0 + HOUR_MS)
      .execute();
    const report = await checkUsageBooks(store.db);
    expect(report.ok).toBe(false);
    expect(report.problems.join()).toContain('2026-03-01T01:00:00.000Z');
  });

  it('a late flush for a closed hour lands in the first open window and leaves the closed books as they were', async () => {
    await traffic(T0, 2);
    const now = T0 + 3 * HOUR_MS;
    await books(now).run(now);
    expect((await readBooksState(store.db)).closedThrough).toBe(T0 + 2 * HOUR_MS);
    const before = (await usageColumns()).find((key) => key.id === keys[0])!.usage_count;

    await commitUsage(
      store.db,
      [
        {
          keyId: keys[0]!,
          projectId: 'proj',
          principal: 'gateway-a',
          instance: 'one',
          windowStart: T0 + 30 * MINUTE_MS,
          total: 7,
          valid: 7,
          inactive: 0,
          expired: 0,
          deleted: 0,
          lastValidAt: T0 + 30 * MINUTE_MS,
          lastRejectedAt: null,
          lastRejectedCode: null,
        },
      ],
      now,
    );

    expect((await checkUsageBooks(store.db)).problems).toEqual([]);
    const moved = await store.db
      .selectFrom('usage_windows')
      .select(['window_start', 'total'])
      .where('key_id', '=', keys[0]!)
      .where('window_start', '>=', T0 + 2 * HOUR_MS)
      .execute();
    expect(moved).toEqual([{ window_start: T0 + 2 * HOUR_MS, total: 7 }]);
    expect((await usageColumns()).find((key) => key.id === keys[0])!.usage_count).toBe(before + 7);
  });

  it('a day whose usage stopped is completed and released without waiting for new usage', async () => {
    await traffic(T0 + 5 * HOUR_MS, 3);
    const later = T0 + 3 * DAY_MS;
    await books(later).run(later);
    expect((await readBooksState(store.db)).closedThrough).toBe(T0 + DAY_MS);
    const closings = await store.db.selectFrom('events').select(['type', 'data']).where('stream_id', '=', 'usage-books').orderBy('stream_version').execute();
    expect(closings.map((event) => event.type)).toEqual(['UsageHourClosed', 'UsageHourClosed', 'UsageHourClosed', 'UsageHourClosed', 'UsagePruned']);
    expect(JSON.parse(closings[3]!.data)).toMatchObject({
      from: '2026-03-01T08:00:00.000Z',
      to: '2026-03-02T00:00:00.000Z',
      windows: { rows: 0 },
      days: [{ day: '2026-03-01T00:00:00.000Z', keyDays: { rows: 3 } }],
    });
    expect(await store.db.selectFrom('usage_windows').selectAll().execute()).toEqual([]);
    expect((await checkUsageBooks(store.db)).problems).toEqual([]);
  });

  it('ranks keys over a range of centuries by reading only where usage is', async () => {
    await traffic(T0, 2);
    let statements = 0;
    const counting = <T>(work: () => Promise<T>) => {
      statements++;
      return work();
    };
    const kept = { MINUTE: -Infinity, HOUR: -Infinity, DAY: -Infinity };
    const ranking = await topKeys(store.db, 'proj', Date.parse('0001-01-01T00:00:00Z'), Date.parse('9999-12-31T00:00:00Z'), 10, kept, null, counting);
    expect(ranking.keys.map((key) => key.total)).toEqual([4 * 12 * 2, 3 * 12 * 2, 2 * 12 * 2]);
    // Without the bound: an hour of windows per statement from year 1 (millions; the process ran out of memory).
    expect(statements).toBeLessThan(100);
  });
});
