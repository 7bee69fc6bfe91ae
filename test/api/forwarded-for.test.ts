import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server';

// X-Forwarded-For is a list anyone can start: each proxy appends the address it saw,
// so only the entries our own proxies added can be believed. With N proxies in
// front, the client is the entry N places from the right; whatever a client wrote
// to the left of it is ignored, and anything that is not an address falls back to
// the address of the connection.

const SOCKET_ADDRESS = /^(::ffff:127\.0\.0\.1|127\.0\.0\.1|::1)$/;

describe('the client address behind trusted proxies', () => {
  const servers: Record<0 | 1 | 2, TestServer> = {} as never;
  let project = 0;

  beforeAll(async () => {
    servers[0] = await startTestServer();
    servers[1] = await startTestServer({ trustProxy: 1 });
    servers[2] = await startTestServer({ trustProxy: 2 });
  });
  afterAll(async () => {
    for (const server of Object.values(servers)) await server.close();
  });

  /** Generates a key with this X-Forwarded-For and returns the client address its event records. */
  async function recordedAddress(hops: 0 | 1 | 2, forwardedFor: string) {
    const server = servers[hops];
    const projectId = `proj_xff_${++project}`;
    const response = await server.post(
      { query: `mutation { generateApiKey(input: { projectId: "${projectId}", name: "traced", environment: "live" }) { __typename } }` },
      { headers: { 'x-forwarded-for': forwardedFor } },
    );
    expect((await response.json()).data.generateApiKey.__typename).toBe('GenerateApiKeyPayload');
    const body = await server.gql(`{ project(id: "${projectId}") { auditLog { edges { node { clientAddress } } } } }`);
    expect(body.data.project.auditLog.edges).toHaveLength(1);
    return body.data.project.auditLog.edges[0].node.clientAddress as string;
  }

  it.each([
    [1, '<img src=x onerror=alert(1)>, 10.0.0.1', '10.0.0.1'],
    [1, '203.0.113.9, 198.51.100.7', '198.51.100.7'],
    [1, ' 2001:db8::1 ', '2001:db8::1'],
    [2, '203.0.113.66, 198.51.100.7, 10.0.0.1', '198.51.100.7'],
    [2, '1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4', '3.3.3.3'],
  ] as const)('with %i trusted hops, "%s" is recorded as %s', async (hops, header, address) => {
    expect(await recordedAddress(hops, header)).toBe(address);
  });

  it.each([
    [1, 'not an address', 'not-an-address'],
    [1, 'markup', '10.0.0.1, <img src=x onerror=alert(1)>'],
    [1, 'an empty entry', '10.0.0.1, '],
    [1, 'an address with a port', '10.0.0.1:8080'],
    [1, 'an impossible address', '999.1.1.1'],
    [2, 'markup', '<img src=x onerror=alert(1)>, 10.0.0.1'],
    [2, 'a list too short', '10.0.0.1'],
    [2, 'an empty header', ''],
    [2, 'SQL after 500 entries', `${'9.9.9.9, '.repeat(500)}'; DROP TABLE events;--, 10.0.0.1`],
  ] as const)('with %i trusted hops, %s where the client should be falls back to the connection address', async (hops, _case, header) => {
    expect(await recordedAddress(hops, header)).toMatch(SOCKET_ADDRESS);
  });

  it('ignores the header entirely when no proxy is trusted', async () => {
    expect(await recordedAddress(0, '203.0.113.9')).toMatch(SOCKET_ADDRESS);
    expect(await recordedAddress(0, '203.0.113.9, 10.0.0.1')).toMatch(SOCKET_ADDRESS);
  });
});
