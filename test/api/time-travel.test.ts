import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey, KEY_FIELDS, rollKey, verify } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

const MINUTE = 60_000;

describe('time travel: keys as they were, rebuilt from the log', () => {
  let server: TestServer;
  let clock = Date.parse('2026-04-01T10:00:00.000Z');
  /** What the API answered at each moment, recorded as the history happened. */
  const recorded: { at: string; key: any; list: any }[] = [];
  let keyId = '';
  let successorId = '';

  const keyAt = async (asOf?: string) =>
    (await server.gql(`query ($id: ID!, $asOf: DateTime) { apiKey(id: $id, asOf: $asOf) { ${KEY_FIELDS} asOf auditHistory { edges { node { type } } } } }`, { id: keyId, asOf })).data
      .apiKey;
  const listAt = async (asOf?: string) =>
    (await server.gql(`query ($asOf: DateTime) { project(id: "proj_tt") { apiKeys(asOf: $asOf, first: 100) { edges { node { id name status usageCount lastUsedAt expiresAt } } } } }`, { asOf }))
      .data.project.apiKeys.edges.map((edge: any) => edge.node);
  const record = async () => recorded.push({ at: new Date(clock).toISOString(), key: await keyAt(), list: await listAt() });

  beforeAll(async () => {
    server = await startTestServer({ now: () => new Date(clock) });
    const first = await generateKey(server, { projectId: 'proj_tt', name: 'Main', expiresAt: new Date(clock + 24 * 60 * MINUTE).toISOString() });
    keyId = first.apiKey.id;
    await generateKey(server, { projectId: 'proj_tt', name: 'Side' });
    await record();
    clock += MINUTE;
    await verify(server, first.secret);
    await verify(server, first.secret);
    await server.flushUsage();
    await record();
    clock += MINUTE;
    await changeKey(server, 'deactivateApiKey', keyId, 'investigating');
    await record();
    clock += MINUTE;
    await changeKey(server, 'reactivateApiKey', keyId, 'false alarm');
    await record();
    clock += MINUTE;
    const rolled = await rollKey(server, { id: keyId, gracePeriodSeconds: 10 * 60, reason: 'rotation' });
    successorId = rolled.apiKey.id;
    await record();
    clock += 11 * MINUTE; // past the grace period: the old key is EXPIRED from here on
    await record();
    clock += MINUTE;
    await changeKey(server, 'deleteApiKey', keyId, 'cleanup');
    await record();
    clock += MINUTE;
    await changeKey(server, 'deactivateApiKey', successorId, 'retired'); // after every recorded moment
    clock += MINUTE;
  });
  afterAll(() => server.close());

  it('answers every recorded moment exactly as the API answered then', async () => {
    expect(recorded.map((moment) => moment.key.status)).toEqual(['ACTIVE', 'ACTIVE', 'INACTIVE', 'ACTIVE', 'ACTIVE', 'EXPIRED', 'DELETED']);
    for (const moment of recorded) {
      const { asOf, ...key } = await keyAt(moment.at);
      expect(asOf).toBe(moment.at);
      expect({ ...key, asOf: null }).toEqual(moment.key);
      expect(await listAt(moment.at)).toEqual(moment.list);
    }
  });

  it('shows a key between events as the last event left it, and nothing before it existed', async () => {
    const between = await keyAt(new Date(Date.parse(recorded[2]!.at) + 30_000).toISOString());
    expect(between).toMatchObject({ status: 'INACTIVE', statusReason: 'investigating', version: 2, usageCount: 2 });
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
    const inactiveThen = await server.gql(`query ($asOf: DateTime) { project(id: "proj_tt") { apiKeys(asOf: $asOf, filter: { status: INACTIVE }) { edges { node { id status } } } } }`, {
      asOf: recorded[2]!.at,
    });
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
});
