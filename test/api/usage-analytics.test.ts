import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitUsage } from '../../src/usage/commit-usage';
import { UsageBooks } from '../../src/usage/usage-books';
import { readBooksState } from '../../src/usage/usage-books-state';
import { changeKey, generateKey, snapshotTables } from '../support/api-key-operations';
import { TEST_DIALECT } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

// Usage analytics as a dashboard reads them, over real HTTP: gateways verify keys,
// the server writes its usage log (flushUsage), and ApiKey.usage, Project.usage and
// Project.topKeys answer per minute, hour and day. The server's clock is ours, so
// "older than minute retention" is a fact of the test, not of when it runs.

const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString().slice('ApiKey:'.length);

const VERIFY = `mutation ($secret: String!) { verifyApiKey(input: { secret: $secret }) { valid code } }`;
const COUNTS = 'total valid rejected byCode { code count }';
const SERIES = `__typename
  ... on UsageSeries { granularity from to points { start ${COUNTS} } }
  ... on ValidationError { code message issues { path message } }`;
const KEY_USAGE = `query ($id: ID!, $from: DateTime!, $to: DateTime!, $granularity: UsageGranularity!) {
  apiKey(id: $id) { usage(from: $from, to: $to, granularity: $granularity) { ${SERIES} } } }`;
const PROJECT_USAGE = `query ($projectId: String!, $from: DateTime!, $to: DateTime!, $granularity: UsageGranularity!) {
  project(id: $projectId) { usage(from: $from, to: $to, granularity: $granularity) { ${SERIES} } } }`;
const TOP_KEYS = `query ($projectId: String!, $from: DateTime!, $to: DateTime!, $first: Int) {
  project(id: $projectId) { topKeys(from: $from, to: $to, first: $first) {
    __typename
    ... on UsageRanking { from to keys { keyId apiKey { id name status } ${COUNTS} } }
    ... on ValidationError { code message issues { path message } } } } }`;

type Counts = { total: number; valid: number; inactive?: number; expired?: number; deleted?: number };

/** What a point or ranked key should hold: every rejection code, in order, zeros included. */
const counts = ({ total, valid, inactive = 0, expired = 0, deleted = 0 }: Counts) => ({
  total,
  valid,
  rejected: inactive + expired + deleted,
  byCode: [
    { code: 'INACTIVE', count: inactive },
    { code: 'EXPIRED', count: expired },
    { code: 'DELETED', count: deleted },
  ],
});
const zeros = counts({ total: 0, valid: 0 });

describe('usage analytics', () => {
  let server: TestServer;
  // 2030-03-10, a Sunday: the first uses are at 10:15:20 UTC.
  let clock = at('2030-03-10T10:15:20.000Z');
  const keys: Record<'a' | 'b' | 'c' | 'e' | 'other', { id: string; secret: string }> = {} as never;
  let gatewayAll: string;
  let gatewayStats: string;

  const verifyAs = async (token: string, secret: string, code: string) => {
    const body = await server.gql(VERIFY, { secret }, { token });
    expect(body.errors).toBeUndefined();
    expect(body.data.verifyApiKey.code).toBe(code);
  };
  const keyUsage = async (id: string, from: string, to: string, granularity: string, token?: string) => {
    const body = await server.gql(KEY_USAGE, { id, from, to, granularity }, token ? { token } : {});
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data.apiKey.usage;
  };
  const projectUsage = async (projectId: string, from: string, to: string, granularity: string) => {
    const body = await server.gql(PROJECT_USAGE, { projectId, from, to, granularity });
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data.project.usage;
  };
  const topKeys = async (projectId: string, from: string, to: string, first?: number) => {
    const body = await server.gql(TOP_KEYS, { projectId, from, to, first });
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data.project.topKeys;
  };
  /** Everything a read must leave as it was: the log, the projections and the usage log. */
  const snapshot = async () => ({
    ...(await snapshotTables(server)),
    usage_windows: await server.db.selectFrom('usage_windows').selectAll().orderBy('window_start').orderBy('key_id').orderBy('principal').execute(),
    usage_project_windows: await server.db.selectFrom('usage_project_windows').selectAll().orderBy('window_start').orderBy('project_id').orderBy('instance').execute(),
  });

  beforeAll(async () => {
    server = await startTestServer({
      now: () => new Date(clock),
      usageWindowSeconds: 60,
      instanceId: 'analytics-1',
      usageRetention: { minuteDays: 1, hourDays: 7 },
    });
    gatewayAll = await server.tokenFor('gateway-all', { '*': ['keys:verify'] });
    gatewayStats = await server.tokenFor('gateway-stats', { proj_stats: ['keys:verify'] });

    for (const name of ['a', 'b', 'c'] as const) {
      const { apiKey, secret } = await generateKey(server, { projectId: 'proj_stats', name: `key ${name}` });
      keys[name] = { id: apiKey.id, secret };
    }
    const expiring = await generateKey(server, { projectId: 'proj_stats', name: 'key e', expiresAt: '2030-03-10T10:30:00.000Z' });
    keys.e = { id: expiring.apiKey.id, secret: expiring.secret };
    const other = await generateKey(server, { projectId: 'proj_elsewhere', name: 'other' });
    keys.other = { id: other.apiKey.id, secret: other.secret };

    // 10:15:20 — a: 3 (two gateways), b: 1, c: 1 valid then 2 INACTIVE, e: 1; elsewhere: 4.
    for (let i = 0; i < 2; i++) await verifyAs(gatewayAll, keys.a.secret, 'VALID');
    await verifyAs(gatewayStats, keys.a.secret, 'VALID');
    await verifyAs(gatewayStats, keys.b.secret, 'VALID');
    await verifyAs(gatewayAll, keys.c.secret, 'VALID');
    await changeKey(server, 'deactivateApiKey', keys.c.id);
    for (let i = 0; i < 2; i++) await verifyAs(gatewayAll, keys.c.secret, 'INACTIVE');
    await verifyAs(gatewayAll, keys.e.secret, 'VALID');
    for (let i = 0; i < 4; i++) await verifyAs(gatewayAll, keys.other.secret, 'VALID');

    // 10:17:05 — a: 2, b: 4; c deleted, then presented once: DELETED.
    clock = at('2030-03-10T10:17:05.000Z');
    for (let i = 0; i < 2; i++) await verifyAs(gatewayStats, keys.a.secret, 'VALID');
    for (let i = 0; i < 4; i++) await verifyAs(gatewayAll, keys.b.secret, 'VALID');
    await changeKey(server, 'deleteApiKey', keys.c.id);
    await verifyAs(gatewayAll, keys.c.secret, 'DELETED');

    // 11:02:00 — b: 2; e has expired.
    clock = at('2030-03-10T11:02:00.000Z');
    for (let i = 0; i < 2; i++) await verifyAs(gatewayStats, keys.b.secret, 'VALID');
    await verifyAs(gatewayAll, keys.e.secret, 'EXPIRED');

    await server.flushUsage();
  });
  afterAll(() => server?.close());

  it('ApiKey.usage by MINUTE: dense points, from rounded down and to up, accepted uses of every gateway', async () => {
    const series = await keyUsage(keys.a.id, '2030-03-10T10:15:20Z', '2030-03-10T10:17:05Z', 'MINUTE');
    expect(series).toEqual({
      __typename: 'UsageSeries',
      granularity: 'MINUTE',
      from: '2030-03-10T10:15:00.000Z',
      to: '2030-03-10T10:18:00.000Z',
      points: [
        { start: '2030-03-10T10:15:00.000Z', ...counts({ total: 3, valid: 3 }) },
        { start: '2030-03-10T10:16:00.000Z', ...zeros },
        { start: '2030-03-10T10:17:00.000Z', ...counts({ total: 2, valid: 2 }) },
      ],
    });
  });

  it('ApiKey.usage by HOUR and DAY: the same uses summed per UTC hour and day, zeros included', async () => {
    const hourly = await keyUsage(keys.b.id, '2030-03-10T09:00:00Z', '2030-03-10T12:30:00Z', 'HOUR');
    expect(hourly.from).toBe('2030-03-10T09:00:00.000Z');
    expect(hourly.to).toBe('2030-03-10T13:00:00.000Z');
    expect(hourly.points).toEqual([
      { start: '2030-03-10T09:00:00.000Z', ...zeros },
      { start: '2030-03-10T10:00:00.000Z', ...counts({ total: 5, valid: 5 }) },
      { start: '2030-03-10T11:00:00.000Z', ...counts({ total: 2, valid: 2 }) },
      { start: '2030-03-10T12:00:00.000Z', ...zeros },
    ]);

    const daily = await keyUsage(keys.b.id, '2030-03-09T12:00:00Z', '2030-03-11T00:00:00Z', 'DAY');
    expect(daily).toMatchObject({ granularity: 'DAY', from: '2030-03-09T00:00:00.000Z', to: '2030-03-11T00:00:00.000Z' });
    expect(daily.points).toEqual([
      { start: '2030-03-09T00:00:00.000Z', ...zeros },
      { start: '2030-03-10T00:00:00.000Z', ...counts({ total: 7, valid: 7 }) },
    ]);
  });

  it('counts refused verifications by code: INACTIVE and DELETED of a deactivated then deleted key, EXPIRED of an expired one', async () => {
    const c = await keyUsage(keys.c.id, '2030-03-10T00:00:00Z', '2030-03-11T00:00:00Z', 'DAY');
    expect(c.points).toEqual([{ start: '2030-03-10T00:00:00.000Z', ...counts({ total: 4, valid: 1, inactive: 2, deleted: 1 }) }]);
    const cByMinute = await keyUsage(keys.c.id, '2030-03-10T10:15:00Z', '2030-03-10T10:18:00Z', 'MINUTE');
    expect(cByMinute.points.map((point: any) => point.byCode.map((entry: any) => entry.count))).toEqual([
      [2, 0, 0],
      [0, 0, 0],
      [0, 0, 1],
    ]);

    const e = await keyUsage(keys.e.id, '2030-03-10T10:00:00Z', '2030-03-10T12:00:00Z', 'HOUR');
    expect(e.points).toEqual([
      { start: '2030-03-10T10:00:00.000Z', ...counts({ total: 1, valid: 1 }) },
      { start: '2030-03-10T11:00:00.000Z', ...counts({ total: 1, valid: 0, expired: 1 }) },
    ]);
  });

  it("Project.usage is the sum of its keys' points, and only its own keys'", async () => {
    const range = ['2030-03-10T10:00:00Z', '2030-03-10T12:00:00Z'] as const;
    for (const granularity of ['MINUTE', 'HOUR', 'DAY']) {
      const project = await projectUsage('proj_stats', ...range, granularity);
      const perKey = await Promise.all([keys.a, keys.b, keys.c, keys.e].map((key) => keyUsage(key.id, ...range, granularity)));
      expect(project.points.length).toBe(perKey[0].points.length);
      project.points.forEach((point: any, i: number) => {
        const sum = (field: 'total' | 'valid' | 'rejected') => perKey.reduce((total, series) => total + series.points[i][field], 0);
        expect(point).toMatchObject({ start: perKey[0].points[i].start, total: sum('total'), valid: sum('valid'), rejected: sum('rejected') });
        point.byCode.forEach((entry: any, j: number) => {
          expect(entry.count).toBe(perKey.reduce((total, series) => total + series.points[i].byCode[j].count, 0));
        });
      });
    }
    const hourly = await projectUsage('proj_stats', ...range, 'HOUR');
    expect(hourly.points).toEqual([
      { start: '2030-03-10T10:00:00.000Z', ...counts({ total: 5 + 5 + 4 + 1, valid: 5 + 5 + 1 + 1, inactive: 2, deleted: 1 }) },
      { start: '2030-03-10T11:00:00.000Z', ...counts({ total: 3, valid: 2, expired: 1 }) },
    ]);
    const elsewhere = await projectUsage('proj_elsewhere', ...range, 'HOUR');
    expect(elsewhere.points.map((point: any) => point.total)).toEqual([4, 0]);
  });

  it('Project.topKeys ranks keys by verifications, most first, deleted keys included, at most `first`', async () => {
    const ranking = await topKeys('proj_stats', '2030-03-10T10:00:00Z', '2030-03-10T12:00:00Z');
    expect(ranking).toMatchObject({ __typename: 'UsageRanking', from: '2030-03-10T10:00:00.000Z', to: '2030-03-10T12:00:00.000Z' });
    expect(ranking.keys).toEqual([
      { keyId: keys.b.id, apiKey: { id: keys.b.id, name: 'key b', status: 'ACTIVE' }, ...counts({ total: 7, valid: 7 }) },
      { keyId: keys.a.id, apiKey: { id: keys.a.id, name: 'key a', status: 'ACTIVE' }, ...counts({ total: 5, valid: 5 }) },
      { keyId: keys.c.id, apiKey: { id: keys.c.id, name: 'key c', status: 'DELETED' }, ...counts({ total: 4, valid: 1, inactive: 2, deleted: 1 }) },
      { keyId: keys.e.id, apiKey: { id: keys.e.id, name: 'key e', status: 'EXPIRED' }, ...counts({ total: 2, valid: 1, expired: 1 }) },
    ]);

    const firstTwo = await topKeys('proj_stats', '2030-03-10T10:00:00Z', '2030-03-10T12:00:00Z', 2);
    expect(firstTwo.keys.map((key: any) => key.apiKey.name)).toEqual(['key b', 'key a']);
    // Only the second minute's uses: a 2, b 4, c 1 (DELETED); e none, so not ranked.
    const later = await topKeys('proj_stats', '2030-03-10T10:17:00Z', '2030-03-10T10:18:00Z');
    expect(later.keys.map((key: any) => [key.apiKey.name, key.total])).toEqual([
      ['key b', 4],
      ['key a', 2],
      ['key c', 1],
    ]);
    // Ends inside minute retention are rounded to the minute.
    expect(later).toMatchObject({ from: '2030-03-10T10:17:00.000Z', to: '2030-03-10T10:18:00.000Z' });
  });

  it('reads the books once per request, however many usage fields it asks for', async () => {
    const before = server.statements.length;
    const body = await server.gql(
      `query ($id: ID!) {
        apiKey(id: $id) { usage(from: "2030-03-10T10:00:00Z", to: "2030-03-10T12:00:00Z", granularity: HOUR) { __typename } }
        project(id: "proj_stats") {
          hourly: usage(from: "2030-03-10T10:00:00Z", to: "2030-03-10T12:00:00Z", granularity: HOUR) { __typename }
          daily: usage(from: "2030-03-10T00:00:00Z", to: "2030-03-11T00:00:00Z", granularity: DAY) { __typename }
          topKeys(from: "2030-03-10T10:00:00Z", to: "2030-03-10T12:00:00Z") { __typename }
        }
      }`,
      { id: keys.a.id },
    );
    expect(body.errors).toBeUndefined();
    const booksReads = server.statements.slice(before).filter((statement) => /from "events"/.test(statement) && /"type" = /.test(statement));
    // readBooksState: the latest closing and the latest pruning of each resolution.
    expect(booksReads).toHaveLength(3);
  });

  it('answers bad ranges and counts with a ValidationError naming the argument, and writes nothing', async () => {
    const before = await snapshot();
    const issuesOf = (result: any) => {
      expect(result.__typename).toBe('ValidationError');
      expect(result.code).toBe('VALIDATION');
      return result.issues.map((issue: any) => issue.path);
    };

    // from not before to.
    expect(issuesOf(await keyUsage(keys.a.id, '2030-03-10T10:00:00Z', '2030-03-10T10:00:00Z', 'MINUTE'))).toEqual(['to']);
    expect(issuesOf(await projectUsage('proj_stats', '2030-03-10T11:00:00Z', '2030-03-10T10:00:00Z', 'HOUR'))).toEqual(['to']);
    expect(issuesOf(await topKeys('proj_stats', '2030-03-10T11:00:00Z', '2030-03-10T10:00:00Z'))).toEqual(['to']);
    // Too many points: 40 hours of minutes (2,400) within minute retention.
    const tooLong = await keyUsage(keys.a.id, iso(clock - 20 * HOUR), iso(clock + 20 * HOUR), 'MINUTE');
    expect(issuesOf(tooLong)).toEqual(['to']);
    expect(tooLong.issues[0].message).toMatch(/2200 points/);
    // first outside 1..100 (and both problems at once).
    expect(issuesOf(await topKeys('proj_stats', '2030-03-10T10:00:00Z', '2030-03-10T12:00:00Z', 0))).toEqual(['first']);
    expect(issuesOf(await topKeys('proj_stats', '2030-03-10T10:00:00Z', '2030-03-10T12:00:00Z', 101))).toEqual(['first']);
    expect(issuesOf(await topKeys('proj_stats', '2030-03-10T12:00:00Z', '2030-03-10T10:00:00Z', -1))).toEqual(['to', 'first']);

    // Text that is no date and time never reaches the field: the DateTime scalar refuses it, as everywhere in the API.
    const malformed = await server.gql(KEY_USAGE, { id: keys.a.id, from: '2030-02-30T00:00:00Z', to: '2030-03-10T12:00:00Z', granularity: 'HOUR' });
    expect(malformed.data).toBeUndefined();
    expect(malformed.errors?.[0]?.message).toMatch(/DateTime/);

    expect(await snapshot()).toEqual(before);
  });

  it('needs keys:read on the project: audit:read, keys:write, keys:verify or keys:read elsewhere get no usage', async () => {
    // The key itself: refused to whoever may know it exists, not found for anyone else (as apiKey(id) always answers).
    const tokens = [
      { token: await server.tokenFor('auditor', { proj_stats: ['audit:read', 'keys:write'] }), onKey: 'FORBIDDEN' },
      { token: gatewayStats, onKey: 'NOT_FOUND' },
      { token: await server.tokenFor('neighbour', { proj_elsewhere: ['keys:read', 'audit:read'] }), onKey: 'NOT_FOUND' },
    ];
    const range = { from: '2030-03-10T10:00:00Z', to: '2030-03-10T12:00:00Z' };
    for (const { token, onKey } of tokens) {
      const project = await server.gql(PROJECT_USAGE, { projectId: 'proj_stats', ...range, granularity: 'HOUR' }, { token });
      expect(project.data ?? null).toBeNull();
      expect(project.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const ranking = await server.gql(TOP_KEYS, { projectId: 'proj_stats', ...range }, { token });
      expect(ranking.data ?? null).toBeNull();
      expect(ranking.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const key = await server.gql(KEY_USAGE, { id: keys.a.id, ...range, granularity: 'HOUR' }, { token });
      expect(key.data?.apiKey ?? null).toBeNull();
      expect(key.errors?.[0]?.extensions?.code).toBe(onKey);
    }
    // A bad range is not worth a ValidationError to someone who may not read the usage at all.
    const bad = await server.gql(PROJECT_USAGE, { projectId: 'proj_stats', from: range.to, to: range.from, granularity: 'HOUR' }, { token: tokens[0]!.token });
    expect(bad.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const reader = await server.tokenFor('reader', { proj_stats: ['keys:read'] });
    expect((await keyUsage(keys.a.id, range.from, range.to, 'HOUR', reader)).points.map((point: any) => point.total)).toEqual([5, 0]);
  });

  it('answers the same once the books have closed the hours, from hourly summaries', async () => {
    const range = ['2030-03-10T10:00:00Z', '2030-03-10T12:00:00Z'] as const;
    const day = ['2030-03-10T00:00:00Z', '2030-03-11T00:00:00Z'] as const;
    const before = {
      hours: await projectUsage('proj_stats', ...range, 'HOUR'),
      days: await keyUsage(keys.c.id, ...day, 'DAY'),
      minutes: await keyUsage(keys.a.id, '2030-03-10T10:15:00Z', '2030-03-10T10:18:00Z', 'MINUTE'),
      ranking: await topKeys('proj_stats', ...day),
    };

    clock = at('2030-03-11T00:10:00.000Z');
    const books = new UsageBooks(server.db, { retention: { minuteDays: 1, hourDays: 7 }, now: () => clock });
    for (let i = 0; i < 3; i++) await books.run(clock);
    // Closed through the end of the day (its usage stopped at noon): 10:00-12:00 now answer from
    // hourly summaries, the day from its daily summary.
    expect((await readBooksState(server.db)).closedThrough).toBe(at('2030-03-11T00:00:00.000Z'));

    expect(await projectUsage('proj_stats', ...range, 'HOUR')).toEqual(before.hours);
    expect(await keyUsage(keys.c.id, ...day, 'DAY')).toEqual(before.days);
    expect(await keyUsage(keys.a.id, '2030-03-10T10:15:00Z', '2030-03-10T10:18:00Z', 'MINUTE')).toEqual(before.minutes);
    expect(await topKeys('proj_stats', ...day)).toEqual(before.ranking);
  });

  // Moves the server's clock on: keep this last.
  it('refuses MINUTE, then HOUR, for ranges older than their retention (on granularity); DAY answers from daily summaries once the rest is released', async () => {
    clock = at('2030-03-11T12:00:00.000Z'); // 1 day 1 h 45 min after the first uses; minute retention is 1 day
    const before = await snapshot();

    const minutes = await keyUsage(keys.a.id, '2030-03-10T10:15:00Z', '2030-03-10T10:18:00Z', 'MINUTE');
    expect(minutes).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', issues: [{ path: 'granularity' }] });
    expect(minutes.issues[0].message).toMatch(/MINUTE usage is kept from 2030-03-10T12:00:00\.000Z on/);
    const projectMinutes = await projectUsage('proj_stats', '2030-03-10T10:00:00Z', '2030-03-10T11:00:00Z', 'MINUTE');
    expect(projectMinutes).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'granularity' }] });
    // A range that starts within retention is still fine by the minute.
    expect((await keyUsage(keys.a.id, '2030-03-10T12:00:00Z', '2030-03-10T12:05:00Z', 'MINUTE')).__typename).toBe('UsageSeries');

    const hours = await keyUsage(keys.a.id, '2030-03-10T10:00:00Z', '2030-03-10T12:00:00Z', 'HOUR');
    expect(hours.points.map((point: any) => point.total)).toEqual([5, 0]);
    expect((await projectUsage('proj_stats', '2030-03-10T00:00:00Z', '2030-03-12T00:00:00Z', 'DAY')).points.map((point: any) => point.total)).toEqual([18, 0]);

    // Eight days on, hours are out of retention too (7 days); days stay.
    clock += 8 * DAY;
    const hoursLater = await keyUsage(keys.a.id, '2030-03-10T10:00:00Z', '2030-03-10T12:00:00Z', 'HOUR');
    expect(hoursLater).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'granularity' }] });
    expect(await snapshot()).toEqual(before);

    // The books close every hour up to the latest use (here one elsewhere, this morning) and release
    // the old windows and hours: what is left of 10 March are its daily summaries, and the answers come
    // from them (a read that ignored the closings would find nothing).
    await commitUsage(
      server.db,
      [
        {
          keyId: rawId(keys.other.id),
          projectId: 'proj_elsewhere',
          principal: 'gateway-all',
          instance: 'analytics-1',
          windowStart: at('2030-03-19T09:00:00Z'),
          total: 1,
          valid: 1,
          inactive: 0,
          expired: 0,
          deleted: 0,
          lastValidAt: at('2030-03-19T09:00:10Z'),
          lastRejectedAt: null,
          lastRejectedCode: null,
        },
      ],
      clock,
    );
    const books = new UsageBooks(server.db, { retention: { minuteDays: 1, hourDays: 7 }, now: () => clock });
    for (let i = 0; i < 3; i++) await books.run(clock);
    // Windows go by the hour on SQLite, by the day (a partition) on PostgreSQL; hourly summaries by the day.
    const windowsCut = TEST_DIALECT === 'sqlite' ? Math.floor((clock - DAY) / 3_600_000) * 3_600_000 : at('2030-03-18T00:00:00Z');
    expect(await readBooksState(server.db)).toEqual({ closedThrough: at('2030-03-19T10:00:00Z'), prunedBefore: { MINUTE: windowsCut, HOUR: at('2030-03-12T00:00:00Z') } });
    const left = async (table: 'usage_windows' | 'usage_key_hours') => (await server.db.selectFrom(table).select('key_id').where('project_id', '=', 'proj_stats').execute()).length;
    expect([await left('usage_windows'), await left('usage_key_hours')]).toEqual([0, 0]);

    expect((await keyUsage(keys.a.id, '2030-03-10T00:00:00Z', '2030-03-11T00:00:00Z', 'DAY')).points.map((point: any) => point.total)).toEqual([5]);
    expect((await projectUsage('proj_stats', '2030-03-09T00:00:00Z', '2030-03-12T00:00:00Z', 'DAY')).points.map((point: any) => point.total)).toEqual([0, 18, 0]);
    // topKeys never refuses for retention: it counts whole days where only days are kept, and says so.
    const ranking = await topKeys('proj_stats', '2030-03-10T10:20:00Z', '2030-03-10T11:30:00Z');
    expect(ranking).toMatchObject({ from: '2030-03-10T00:00:00.000Z', to: '2030-03-11T00:00:00.000Z' });
    expect(ranking.keys.map((key: any) => [key.apiKey.name, key.total])).toEqual([
      ['key b', 7],
      ['key a', 5],
      ['key c', 4],
      ['key e', 2],
    ]);
  });
});

describe('usage analytics with windows longer than a minute', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ usageWindowSeconds: 300 });
  });
  afterAll(() => server?.close());

  it('refuses MINUTE points (a window would count all in its first minute) on granularity; HOUR answers', async () => {
    const from = iso(Date.now() - HOUR);
    const to = iso(Date.now());
    const minutes = await server.gql(PROJECT_USAGE, { projectId: 'proj_w', from, to, granularity: 'MINUTE' });
    expect(minutes.data.project.usage).toMatchObject({ __typename: 'ValidationError', issues: [{ path: 'granularity', message: expect.stringMatching(/300 seconds/) }] });
    const hours = await server.gql(PROJECT_USAGE, { projectId: 'proj_w', from, to, granularity: 'HOUR' });
    expect(hours.data.project.usage.__typename).toBe('UsageSeries');
  });
});
