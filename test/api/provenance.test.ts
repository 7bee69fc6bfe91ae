import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server';

const GENERATE = (projectId: string) => ({
  query: `mutation { generateApiKey(input: { projectId: "${projectId}", name: "traced", environment: "live" }) { __typename } }`,
});
const AUDIT = (projectId: string) => `{ project(id: "${projectId}") { auditLog { edges { node { actor requestId clientAddress userAgent } } } } }`;

describe('every event names who caused it, from where', () => {
  let direct: TestServer;
  let proxied: TestServer;
  beforeAll(async () => {
    direct = await startTestServer({ actor: 'carol' });
    // Two proxies of ours in front: the first appends the client, the second the first proxy.
    proxied = await startTestServer({ actor: 'dave', trustProxy: 2 });
  });
  afterAll(async () => {
    await direct.close();
    await proxied.close();
  });

  it('records actor, request id, user agent and the connection address; ignores X-Forwarded-For by default', async () => {
    const response = await direct.post(GENERATE('proj_p'), {
      headers: { 'user-agent': 'settings-page/1.2', 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'req-prov-1' },
    });
    expect(response.headers.get('x-request-id')).toBe('req-prov-1');
    const body = await direct.gql(AUDIT('proj_p'));
    expect(body.data.project.auditLog.edges).toEqual([
      { node: { actor: 'carol', requestId: 'req-prov-1', clientAddress: expect.stringMatching(/127\.0\.0\.1/), userAgent: 'settings-page/1.2' } },
    ]);
  });

  it('takes the client address from X-Forwarded-For, counting TRUST_PROXY hops from the right', async () => {
    await proxied.post(GENERATE('proj_q'), { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1', 'user-agent': 'gateway' } });
    const body = await proxied.gql(AUDIT('proj_q'));
    expect(body.data.project.auditLog.edges[0].node).toMatchObject({ actor: 'dave', clientAddress: '203.0.113.9', userAgent: 'gateway' });
  });

  it('stores the provenance in the event itself, so a rebuild keeps it', async () => {
    const row = await direct.db.selectFrom('events').select('metadata').orderBy('position', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(row.metadata)).toMatchObject({ actor: 'carol', requestId: 'req-prov-1', userAgent: 'settings-page/1.2' });
  });
});
