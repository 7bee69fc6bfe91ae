import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, rollKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// Two instances whose clocks differ: a roll with no grace period expires the old
// key by the rolling instance's clock, and the other instance must not keep
// accepting it for as long as its clock is behind.

describe('instances with different clocks', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer();
    b = await startTestServer({ databaseUrl: a.databaseUrl, now: () => new Date(Date.now() - 5000) }); // 5 s behind
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('stops accepting a key rolled with no grace on another instance within the staleness bound, though its clock is behind', async () => {
    const verify = `mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code } }`;
    const { secret, apiKey } = await generateKey(a, { projectId: 'proj_skew' });
    expect((await b.gql(verify, { s: secret })).data.verifyApiKey.code).toBe('VALID');
    expect((await b.gql(verify, { s: secret })).data.verifyApiKey.code).toBe('VALID'); // cached on b
    await rollKey(a, { id: apiKey.id, gracePeriodSeconds: 0 });
    const rolledAt = performance.now();
    let code = (await b.gql(verify, { s: secret })).data.verifyApiKey.code;
    while (code === 'VALID' && performance.now() - rolledAt < 4000) code = (await b.gql(verify, { s: secret })).data.verifyApiKey.code;
    expect(code).toBe('EXPIRED');
    expect(performance.now() - rolledAt).toBeLessThan(2000); // the bound is 1 s; the rest is slack for a loaded machine
  });
});
