import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey, KEY_FIELDS, rollKey, verify } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

const SECOND = 1000;
const MINUTE = 60_000;
const DAY = 86_400_000;
/**
 * Usage is recorded by windows, and time travel counts whole windows that ended by
 * the moment asked for. 20 s rather than the default 60 s: moments on a 20 s
 * boundary that is not a minute's (10:00:40) tell the configured window apart from a default.
 */
const WINDOW_SECONDS = 20;
/**
 * The history happens on a day ahead of the machine's clock. On PostgreSQL, servers of
 * other tests on the same database announce their events' times to every listener (the
 * notification channels are the database's, not the schema's) and a server moves its
 * clock forward to a believable announced time; a time ahead of the machine's clock is
 * not believed, so no other test can move this server's clock.
 */
const DAY0 = Math.floor(Date.now() / DAY) * DAY + 10 * DAY;
/** `time` (HH:MM:SS[.mmm]) on DAY0, as an ISO string. */
const iso = (time: string) => new Date(DAY0 + Date.parse(`1970-01-01T${time}Z`)).toISOString();

describe('time travel: keys as they were, rebuilt from the log', () => {
  let server: TestServer;
  let clock = Date.parse(iso('10:00:00'));
  /** What the API answered at each moment, recorded as the history happened. */
  const recorded: { at: string; key: any; list: any }[] = [];
  let keyId = '';
  let successorId = '';

  const keyAt = async (asOf?: string) =>
    (await server.gql(`query ($id: ID!, $asOf: DateTime) { apiKey(id: $id, asOf: $asOf) { ${KEY_FIELDS} asOf auditHistory { edges { node { type } } } } }`, { id: keyId, asOf }))
      .data.apiKey;
  const listAt = async (asOf?: string) =>
    (
      await server.gql(
        `query ($asOf: DateTime) { project(id: "proj_tt") { apiKeys(asOf: $asOf, first: 100) { edges { node { id name status usageCount lastUsedAt expiresAt } } } } }`,
        { asOf },
      )
    ).data.project.apiKeys.edges.map((edge: any) => edge.node);
  /**
   * Moments are recorded on window boundaries, with every use before them written
   * (flushUsage): then every use the API counts at that moment lies in a window that
   * has ended, so time travel must answer every field, usage included, exactly as the
   * API did. A use in a window still running is the API's alone (see the window test).
   */
  const record = async () => {
    expect(clock % (WINDOW_SECONDS * SECOND)).toBe(0);
    await server.flushUsage();
    recorded.push({ at: new Date(clock).toISOString(), key: await keyAt(), list: await listAt() });
  };
  const at = (time: string) => (clock = Date.parse(iso(time)));

  beforeAll(async () => {
    server = await startTestServer({ now: () => new Date(clock), usageWindowSeconds: WINDOW_SECONDS });
    const first = await generateKey(server, { projectId: 'proj_tt', name: 'Main', expiresAt: new Date(clock + 24 * 60 * MINUTE).toISOString() });
    keyId = first.apiKey.id;
    await generateKey(server, { projectId: 'proj_tt', name: 'Side' });
    await record(); // 0: 10:00:00
    at('10:00:05');
    expect((await verify(server, first.secret)).code).toBe('VALID');
    expect((await verify(server, first.secret)).code).toBe('VALID');
    at('10:00:40');
    await record(); // 1: two uses, in the window 10:00:00-10:00:20
    at('10:01:00');
    await changeKey(server, 'deactivateApiKey', keyId, 'investigating');
    await record(); // 2
    at('10:01:10');
    expect((await verify(server, first.secret)).code).toBe('INACTIVE'); // a rejected use counts, lastUsedAt stays
    at('10:02:00');
    await changeKey(server, 'reactivateApiKey', keyId, 'false alarm');
    await record(); // 3
    at('10:02:30');
    expect((await verify(server, first.secret)).code).toBe('VALID');
    at('10:03:00');
    const rolled = await rollKey(server, { id: keyId, gracePeriodSeconds: 10 * 60, reason: 'rotation' });
    successorId = rolled.apiKey.id;
    await record(); // 4
    at('10:03:05');
    expect((await verify(server, first.secret)).code).toBe('VALID'); // within the grace period
    expect((await verify(server, rolled.secret)).code).toBe('VALID');
    at('10:14:00'); // past the grace period: the old key is EXPIRED from here on
    await record(); // 5
    at('10:14:10');
    expect((await verify(server, first.secret)).code).toBe('EXPIRED');
    at('10:15:00');
    await changeKey(server, 'deleteApiKey', keyId, 'cleanup');
    await record(); // 6
    at('11:00:00');
    await record(); // 7: on the hour
    at('11:10:00');
    await server.runUsageBooks(clock); // the hour 10:00-11:00 is closed into hourly summaries
    clock = DAY0 + DAY;
    await record(); // 8: on the day
    clock += MINUTE;
    await changeKey(server, 'deactivateApiKey', successorId, 'retired'); // after every recorded moment
    clock += MINUTE;
  });
  afterAll(() => server.close());

  it('answers every recorded moment exactly as the API answered then', async () => {
    // The hour 10:00-11:00 is closed: the moments on the hour and the day are answered
    // from its hourly summary, the others from windows.
    expect(await server.db.selectFrom('usage_key_hours').select('hour_start').execute()).not.toEqual([]);
    expect(recorded.map((moment) => moment.key.status)).toEqual(['ACTIVE', 'ACTIVE', 'INACTIVE', 'ACTIVE', 'ACTIVE', 'EXPIRED', 'DELETED', 'DELETED', 'DELETED']);
    // The history has usage to reproduce: valid and rejected uses, of both keys.
    expect(recorded.map((moment) => moment.key.usageCount)).toEqual([0, 2, 2, 3, 4, 5, 6, 6, 6]);
    expect(recorded[5]!.list.find((key: any) => key.id === successorId)).toMatchObject({ usageCount: 1, lastUsedAt: iso('10:03:05') });
    for (const moment of recorded) {
      const { asOf, ...key } = await keyAt(moment.at);
      expect(asOf).toBe(moment.at);
      expect({ ...key, asOf: null }).toEqual(moment.key);
      expect(await listAt(moment.at)).toEqual(moment.list);
    }
  });

  it('counts usage by whole windows: a use shows from the end of its window on, never while it runs', async () => {
    const usageAt = async (time: string) => {
      const { usageCount, lastUsedAt } = await keyAt(iso(time));
      return { usageCount, lastUsedAt };
    };
    // The two uses at 10:00:05, in the window 10:00:00-10:00:20.
    expect(await usageAt('10:00:05.000')).toEqual({ usageCount: 0, lastUsedAt: null });
    expect(await usageAt('10:00:19.999')).toEqual({ usageCount: 0, lastUsedAt: null });
    expect(await usageAt('10:00:20.000')).toEqual({ usageCount: 2, lastUsedAt: iso('10:00:05') });
    // The rejected use at 10:01:10 counts from 10:01:20, and leaves lastUsedAt alone.
    expect(await usageAt('10:01:19.999')).toEqual({ usageCount: 2, lastUsedAt: iso('10:00:05') });
    expect(await usageAt('10:01:20.000')).toEqual({ usageCount: 3, lastUsedAt: iso('10:00:05') });
    // The use at 10:02:30 (window 10:02:20-10:02:40).
    expect(await usageAt('10:02:39.999')).toEqual({ usageCount: 3, lastUsedAt: iso('10:00:05') });
    expect(await usageAt('10:02:40.000')).toEqual({ usageCount: 4, lastUsedAt: iso('10:02:30') });
  });

  it('shows a key between events as the last event left it, and nothing before it existed', async () => {
    const between = await keyAt(new Date(Date.parse(recorded[2]!.at) + 30_000).toISOString());
    // 10:01:30: the rejected use at 10:01:10 is in a window that has ended.
    expect(between).toMatchObject({ status: 'INACTIVE', statusReason: 'investigating', version: 2, usageCount: 3 });
    expect(await keyAt(new Date(Date.parse(recorded[0]!.at) - 1).toISOString())).toBeNull();
    expect(await listAt(new Date(Date.parse(recorded[0]!.at) - 1).toISOString())).toEqual([]);
    // The successor appears in the list from the roll on.
    expect((await listAt(recorded[3]!.at)).map((key: any) => key.id)).not.toContain(successorId);
    expect((await listAt(recorded[4]!.at)).map((key: any) => key.id)).toContain(successorId);
  });

  it('follows rotation links to the linked key as it was at that moment', async () => {
    const then = await server.gql(`query ($id: ID!, $asOf: DateTime) { apiKey(id: $id, asOf: $asOf) { rotatedTo { id status asOf } } }`, { id: keyId, asOf: recorded[4]!.at });
    expect(then.data.apiKey.rotatedTo).toEqual({ id: successorId, status: 'ACTIVE', asOf: recorded[4]!.at });
    const now = await server.gql(`query ($id: ID!) { apiKey(id: $id) { rotatedTo { status asOf } } }`, { id: keyId });
    expect(now.data.apiKey.rotatedTo).toEqual({ status: 'INACTIVE', asOf: null });
  });

  it('applies list filters to the keys as they were then', async () => {
    const inactiveThen = await server.gql(
      `query ($asOf: DateTime) { project(id: "proj_tt") { apiKeys(asOf: $asOf, filter: { status: INACTIVE }) { edges { node { id status } } } } }`,
      {
        asOf: recorded[2]!.at,
      },
    );
    expect(inactiveThen.data.project.apiKeys.edges).toEqual([{ node: { id: keyId, status: 'INACTIVE' } }]);
    const inactiveNow = await server.gql(`{ project(id: "proj_tt") { apiKeys(filter: { status: INACTIVE }) { edges { node { id } } } } }`);
    // Now the inactive key is the successor, retired after every recorded moment.
    expect(inactiveNow.data.project.apiKeys.edges).toEqual([{ node: { id: successorId } }]);
  });

  it('refuses a moment in the future', async () => {
    const future = new Date(clock + MINUTE).toISOString();
    const body = await server.gql(`query ($id: ID!, $asOf: DateTime) { apiKey(id: $id, asOf: $asOf) { id } }`, { id: keyId, asOf: future });
    expect(body.errors?.[0]).toMatchObject({ message: 'asOf: asOf must not be in the future', extensions: { code: 'VALIDATION' } });
  });

  // Last: it moves the clock on by days.
  it('once retention has released the windows, answers by whole hours: exactly on the hour and the day, by the hour before in between', async () => {
    // Two days on, the first day is closed and its windows are released (the default
    // retention keeps windows 2 days); its hourly and daily summaries remain.
    clock = DAY0 + 3 * DAY + 10 * MINUTE;
    await server.runUsageBooks(clock);
    expect(await server.db.selectFrom('usage_windows').select('key_id').execute()).toEqual([]);
    expect(await server.db.selectFrom('usage_key_hours').select('key_id').execute()).not.toEqual([]);
    // recorded[8] is on the day: the day's summary answers for it.
    expect(Date.parse(recorded[8]!.at) % DAY).toBe(0);
    const lifecycle = ({ usageCount: _count, lastUsedAt: _last, ...rest }: any) => rest;
    // 10:00 (recorded[0], before any use) is the last whole hour of the moments 1-6.
    const lastHour = recorded[0]!;
    for (const moment of recorded) {
      const { asOf, ...key } = await keyAt(moment.at);
      expect(asOf).toBe(moment.at);
      const onTheHour = Date.parse(moment.at) % (60 * MINUTE) === 0;
      if (onTheHour) {
        expect({ ...key, asOf: null }).toEqual(moment.key);
        expect(await listAt(moment.at)).toEqual(moment.list);
      } else {
        expect(lifecycle({ ...key, asOf: null })).toEqual(lifecycle(moment.key));
        expect(key).toMatchObject({ usageCount: lastHour.key.usageCount, lastUsedAt: lastHour.key.lastUsedAt });
        expect((await listAt(moment.at)).map(lifecycle)).toEqual(moment.list.map(lifecycle));
      }
    }
  });
});
