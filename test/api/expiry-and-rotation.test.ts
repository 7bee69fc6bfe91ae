import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey, rollKey, snapshotTables, verify } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

const HOUR = 3_600_000;

describe('expiry and rotation over HTTP', () => {
  let server: TestServer;
  // A clock the test moves: expiry and grace periods end exactly when it says.
  let clock = Date.parse('2026-05-01T09:00:00.000Z');
  beforeAll(async () => {
    server = await startTestServer({ actor: 'ops', now: () => new Date(clock) });
  });
  afterAll(() => server.close());
  const iso = (ms: number) => new Date(ms).toISOString();

  const statuses = async (projectId: string, filter = '') => {
    const body = await server.gql(`{ project(id: "${projectId}") { apiKeys(first: 100${filter}) { edges { node { name status } } } } }`);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return Object.fromEntries(body.data.project.apiKeys.edges.map((edge: any) => [edge.node.name, edge.node.status]));
  };

  it('stops verifying a key at its expiry, shows it EXPIRED, and filters by status and expiry', async () => {
    const expiresAt = iso(clock + HOUR);
    const { secret, apiKey } = await generateKey(server, { projectId: 'proj_exp', name: 'short-lived', expiresAt });
    await generateKey(server, { projectId: 'proj_exp', name: 'forever' });
    await generateKey(server, { projectId: 'proj_exp', name: 'next year', expiresAt: iso(clock + 365 * 24 * HOUR) });
    expect(apiKey).toMatchObject({ status: 'ACTIVE', expiresAt });
    expect(await verify(server, secret)).toMatchObject({ valid: true, code: 'VALID', key: { expiresAt } });

    clock += HOUR - 1;
    expect(await verify(server, secret)).toMatchObject({ valid: true });
    clock += 1;
    expect(await verify(server, secret)).toMatchObject({ valid: false, code: 'EXPIRED', key: { id: apiKey.id } });

    expect(await statuses('proj_exp')).toEqual({ 'short-lived': 'EXPIRED', forever: 'ACTIVE', 'next year': 'ACTIVE' });
    expect(await statuses('proj_exp', ', filter: { status: EXPIRED }')).toEqual({ 'short-lived': 'EXPIRED' });
    expect(await statuses('proj_exp', ', filter: { status: ACTIVE }')).toEqual({ forever: 'ACTIVE', 'next year': 'ACTIVE' });
    expect(await statuses('proj_exp', `, filter: { expiresBefore: "${iso(clock + 30 * 24 * HOUR)}" }`)).toEqual({ 'short-lived': 'EXPIRED' });
    expect(await statuses('proj_exp', `, filter: { expiresBefore: "${iso(clock + 400 * 24 * HOUR)}" }`)).toEqual({
      'short-lived': 'EXPIRED',
      'next year': 'ACTIVE',
    });

    // An expired key cannot be deactivated (it already does not verify), but it can be deleted.
    expect(await changeKey(server, 'deactivateApiKey', apiKey.id)).toMatchObject({ __typename: 'InvalidStateError', currentStatus: 'EXPIRED' });
    await server.flushUsage();
    const used = await server.gql(
      `query ($id: ID!) { apiKey(id: $id) { usageCount lastRejectedCode
      auditHistory(includeUsage: true) { edges { node { type usage { valid expired } } } } } }`,
      { id: apiKey.id },
    );
    expect(used.data.apiKey).toMatchObject({ usageCount: 3, lastRejectedCode: 'EXPIRED' });
    // Counted on the key; the key's history holds its lifecycle only, whatever the deprecated includeUsage says.
    expect(used.data.apiKey.auditHistory.edges.map((edge: any) => edge.node)).toEqual([{ type: 'KeyGenerated', usage: null }]);
    expect((await changeKey(server, 'deleteApiKey', apiKey.id, 'expired anyway')).apiKey).toMatchObject({ status: 'DELETED' });
  });

  it('refuses an expiry in the past or beyond ten years, writing nothing', async () => {
    const before = await snapshotTables(server);
    for (const expiresAt of [iso(clock - 1), iso(clock), iso(clock + 3651 * 24 * HOUR)]) {
      const body = await server.gql(`mutation ($input: GenerateApiKeyInput!) { generateApiKey(input: $input) { __typename ... on ValidationError { issues { path message } } } }`, {
        input: { projectId: 'proj_exp', name: 'bad', environment: 'live', expiresAt },
      });
      expect(body.data.generateApiKey).toEqual({ __typename: 'ValidationError', issues: [{ path: 'input.expiresAt', message: expect.stringMatching(/expiresAt must be/) }] });
    }
    const garbage = await server.gql(`mutation { generateApiKey(input: { projectId: "p", name: "n", environment: "live", expiresAt: "tomorrow" }) { __typename } }`);
    expect(garbage.errors?.[0]?.message).toMatch(/DateTime/);
    expect(await snapshotTables(server)).toEqual(before);
  });

  it('rolls a key: a new secret at once, the old one verifies through the grace period, both linked, reasons kept', async () => {
    const old = await generateKey(server, { projectId: 'proj_roll', name: 'Billing backend', environment: 'live' });
    const rolled = await rollKey(server, { id: old.apiKey.id, gracePeriodSeconds: 24 * 3600, reason: 'quarterly rotation' });
    expect(rolled.__typename).toBe('RollApiKeyPayload');
    expect(rolled.secret).toMatch(/^ak_live_/);
    expect(rolled.secret).not.toBe(old.secret);
    const successorId = rolled.apiKey.id;
    expect(rolled.apiKey).toMatchObject({ name: 'Billing backend', environment: 'live', status: 'ACTIVE', rotatedFrom: { id: old.apiKey.id }, rotatedTo: null, expiresAt: null });
    expect(rolled.previousKey).toMatchObject({ id: old.apiKey.id, status: 'ACTIVE', rotatedTo: { id: successorId }, expiresAt: iso(clock + 24 * HOUR) });

    expect(await verify(server, old.secret)).toMatchObject({ valid: true, key: { expiresAt: iso(clock + 24 * HOUR) } });
    expect(await verify(server, rolled.secret)).toMatchObject({ valid: true, key: { id: successorId } });
    clock += 24 * HOUR;
    expect(await verify(server, old.secret)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await verify(server, rolled.secret)).toMatchObject({ valid: true });

    const audit = await server.gql(`{ project(id: "proj_roll") { auditLog { edges { node {
      type keyId reason rotatedFromKeyId rotatedToKeyId changes { field from to } } } } } }`);
    expect(audit.data.project.auditLog.edges.map((edge: any) => edge.node)).toEqual([
      {
        type: 'KeyGenerated',
        keyId: successorId,
        reason: null,
        rotatedFromKeyId: old.apiKey.id,
        rotatedToKeyId: null,
        changes: [
          { field: 'status', from: null, to: 'ACTIVE' },
          { field: 'name', from: null, to: 'Billing backend' },
          { field: 'environment', from: null, to: 'live' },
        ],
      },
      {
        type: 'KeyRolled',
        keyId: old.apiKey.id,
        reason: 'quarterly rotation',
        rotatedFromKeyId: null,
        rotatedToKeyId: successorId,
        changes: [{ field: 'expiresAt', from: null, to: iso(clock) }],
      },
      expect.objectContaining({ type: 'KeyGenerated', keyId: old.apiKey.id }),
    ]);
    // The reason is in the rolled key's own history too.
    const history = await server.gql(`query ($id: ID!) { apiKey(id: $id) { auditHistory(first: 1) { edges { node { type reason rotatedToKeyId } } } } }`, { id: old.apiKey.id });
    expect(history.data.apiKey.auditHistory.edges).toEqual([{ node: { type: 'KeyRolled', reason: 'quarterly rotation', rotatedToKeyId: successorId } }]);
    // Both events of a roll come from the one request.
    const requestIds = await server.gql(`{ project(id: "proj_roll") { auditLog(first: 2) { edges { node { requestId } } } } }`);
    const [a, b] = requestIds.data.project.auditLog.edges.map((edge: any) => edge.node.requestId);
    expect(a).toBe(b);
  });

  it('stops the old key at once with a grace period of 0, and refuses to roll twice or roll an inactive or deleted key', async () => {
    const old = await generateKey(server, { projectId: 'proj_roll0' });
    const rolled = await rollKey(server, { id: old.apiKey.id, gracePeriodSeconds: 0 });
    expect(rolled.previousKey.status).toBe('EXPIRED');
    expect(await verify(server, old.secret)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await rollKey(server, { id: old.apiKey.id, gracePeriodSeconds: 0 })).toMatchObject({
      __typename: 'InvalidStateError',
      code: 'INVALID_STATE',
      message: expect.stringContaining('already rolled'),
    });
    // A deactivated key is not brought back to life by rolling it.
    const paused = await generateKey(server, { projectId: 'proj_roll0' });
    await changeKey(server, 'deactivateApiKey', paused.apiKey.id);
    expect(await rollKey(server, { id: paused.apiKey.id, gracePeriodSeconds: 0 })).toMatchObject({ __typename: 'InvalidStateError', currentStatus: 'INACTIVE' });
    await changeKey(server, 'deleteApiKey', rolled.apiKey.id);
    expect(await rollKey(server, { id: rolled.apiKey.id, gracePeriodSeconds: 60 })).toMatchObject({ __typename: 'InvalidStateError', currentStatus: 'DELETED' });
  });

  it('gives the successor its own expiry when asked, and refuses grace periods outside 0 to 30 days', async () => {
    const old = await generateKey(server, { projectId: 'proj_roll_bad' });
    const before = await snapshotTables(server);
    for (const gracePeriodSeconds of [-1, 30 * 24 * 3600 + 1]) {
      expect(await rollKey(server, { id: old.apiKey.id, gracePeriodSeconds })).toMatchObject({
        __typename: 'ValidationError',
        issues: [{ path: 'input.gracePeriodSeconds' }],
      });
    }
    await expect(rollKey(server, { id: old.apiKey.id, gracePeriodSeconds: 1.5 })).rejects.toThrow(/Int/);
    expect(await snapshotTables(server)).toEqual(before);
    const rolled = await rollKey(server, { id: old.apiKey.id, gracePeriodSeconds: 30 * 24 * 3600, expiresAt: iso(clock + 90 * 24 * HOUR) });
    expect(rolled.apiKey.expiresAt).toBe(iso(clock + 90 * 24 * HOUR));
    expect(rolled.previousKey.expiresAt).toBe(iso(clock + 30 * 24 * HOUR));
  });
});
