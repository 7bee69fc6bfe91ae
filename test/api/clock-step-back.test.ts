import { afterEach, describe, expect, it } from 'vitest';
import { generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// The machine's clock stepping back (an NTP correction, a VM restored from a
// snapshot) must not bring an expired key back to life, on either verify path,
// nor after a restart.

const VERIFY = `mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code } }`;
const VERIFY_GENERAL = `mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code ... on VerifyApiKeyPayload { valid } } }`;
const HOUR = 3600_000;

describe('a wall clock that steps back', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0).reverse()) await server.close();
  });

  it('keeps an expired key expired when the clock goes back two hours, and across a restart', async () => {
    let wall = Date.now();
    const server = await startTestServer({ now: () => new Date(wall) });
    servers.push(server);
    const { secret } = await generateKey(server, { projectId: 'proj_clock', expiresAt: new Date(wall + HOUR).toISOString() });
    const codes = async (target: TestServer) => Promise.all([VERIFY, VERIFY_GENERAL].map(async (query) => (await target.gql(query, { s: secret })).data.verifyApiKey.code));

    expect(await codes(server)).toEqual(['VALID', 'VALID']);
    wall += 2 * HOUR;
    expect(await codes(server)).toEqual(['EXPIRED', 'EXPIRED']);
    wall -= 2 * HOUR; // back to before the expiry
    expect(await codes(server)).toEqual(['EXPIRED', 'EXPIRED']);
    const listed = await server.gql(`{ project(id: "proj_clock") { apiKeys(filter: {status: EXPIRED}) { edges { node { status } } } } }`);
    expect(listed.data.project.apiKeys.edges).toEqual([{ node: { status: 'EXPIRED' } }]);

    // A restart with the clock still behind: the log's last recorded time is the floor.
    await server.flushUsage();
    const restarted = await startTestServer({ databaseUrl: server.databaseUrl, now: () => new Date(wall) });
    servers.push(restarted);
    expect(await codes(restarted)).toEqual(['EXPIRED', 'EXPIRED']);
  });
});
