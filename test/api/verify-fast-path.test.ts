import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/secrets/api-key-secret';
import { changeKey, generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// The same verify requests, sent to a server with the fast path and to one without
// it (same database), must get the same status, content type and body, byte for byte.

describe('the verify fast path answers exactly as the general GraphQL path', () => {
  let fast: TestServer;
  let general: TestServer;
  const secrets: Record<string, string> = {};

  // One clock for both servers, moved past one key's expiry before any verification.
  let clock = Date.now();
  const now = () => new Date(clock);

  beforeAll(async () => {
    fast = await startTestServer({ actor: 'gateway', now });
    general = await startTestServer({ actor: 'gateway', databaseUrl: fast.databaseUrl, fastPath: false, now });
    // Every state, set up before any verification so neither server caches an older state.
    const active = await generateKey(fast, { projectId: 'proj_a', name: 'Ünïcödé "quoted" \\ key 🔑' });
    const inactive = await generateKey(fast, { projectId: 'proj_a', name: 'inactive', environment: 'test' });
    const deleted = await generateKey(fast, { projectId: 'proj_a', name: 'deleted' });
    const other = await generateKey(fast, { projectId: 'proj_b', name: 'other project' });
    const expiring = await generateKey(fast, { projectId: 'proj_a', name: 'expiring', expiresAt: new Date(clock + 86_400_000).toISOString() });
    const expired = await generateKey(fast, { projectId: 'proj_a', name: 'expired', expiresAt: new Date(clock + 1000).toISOString() });
    await changeKey(fast, 'deactivateApiKey', inactive.apiKey.id);
    await changeKey(fast, 'deleteApiKey', deleted.apiKey.id);
    clock += 2000;
    Object.assign(secrets, {
      expiring: expiring.secret,
      expired: expired.secret,
      active: active.secret,
      inactive: inactive.secret,
      deleted: deleted.secret,
      other: other.secret,
      unknown: generateSecret('live').secret,
      malformed: `${active.secret.slice(0, -1)}!`,
      empty: '',
    });
  });
  afterAll(async () => {
    await general.close();
    await fast.close();
  });

  const documents = {
    variable: {
      query: 'mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code key { id projectId name environment expiresAt } } }',
      vars: (s: string) => ({ secret: s }),
    },
    inputVariable: { query: 'mutation Check($input: VerifyApiKeyInput!) { verifyApiKey(input: $input) { code valid } }', vars: (s: string) => ({ input: { secret: s } }) },
    aliased: {
      query: 'mutation ($s: String!) { check: verifyApiKey(input: {secret: $s}) { __typename ok: valid code key { __typename name ident: id } } }',
      vars: (s: string) => ({ s }),
    },
    literal: { query: '', vars: () => ({}) },
    wrongVariableType: { query: 'mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { code } }', vars: () => ({ secret: 42 }) },
    extraInputField: { query: 'mutation ($input: VerifyApiKeyInput!) { verifyApiKey(input: $input) { code } }', vars: (s: string) => ({ input: { secret: s, admin: true } }) },
  };

  async function tokens() {
    return {
      everything: fast.token,
      verifyProjectA: await fast.tokenFor('gateway-a', { proj_a: ['keys:verify'] }),
      noVerify: await fast.tokenFor('reader', { proj_a: ['keys:read'] }),
      none: null,
      garbage: 'garbage.token.here',
    };
  }

  it('for every code, document form, token and Accept header', async () => {
    const compared: string[] = [];
    const fastBefore = fast.fastPathAnswers;
    for (const [tokenName, token] of Object.entries(await tokens())) {
      for (const [secretName, secret] of Object.entries(secrets)) {
        for (const [documentName, document] of Object.entries(documents)) {
          for (const accept of [undefined, '*/*', 'application/json', 'application/graphql-response+json']) {
            const query = documentName === 'literal' ? `mutation { verifyApiKey(input: {secret: ${JSON.stringify(secret)}}) { valid code } }` : document.query;
            const body = { query, variables: document.vars(secret), ...(documentName === 'inputVariable' ? { operationName: 'Check' } : {}) };
            const headers: Record<string, string> = accept ? { accept } : {};
            const [a, b] = await Promise.all([fast.post(body, { token, headers }), general.post(body, { token, headers })]);
            const label = `${tokenName}/${secretName}/${documentName}/${accept}`;
            expect({ label, status: a.status, type: a.headers.get('content-type'), body: await a.text() }).toEqual({
              label,
              status: b.status,
              type: b.headers.get('content-type'),
              body: await b.text(),
            });
            compared.push(label);
          }
        }
      }
    }
    expect(compared.length).toBe(5 * 9 * 6 * 4);
    // The comparison means something only if the fast path really answered many of them.
    expect(fast.fastPathAnswers - fastBefore).toBeGreaterThan(150);
    expect(general.fastPathAnswers).toBe(0);
  });

  it('sees a deactivation at once, though it caches keys', async () => {
    const { apiKey, secret } = await generateKey(fast, { projectId: 'proj_a', name: 'cached' });
    const ask = async () => (await fast.gql(`mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code } }`, { s: secret })).data.verifyApiKey.code;
    expect(await ask()).toBe('VALID');
    expect(await ask()).toBe('VALID'); // now served from the cache
    await changeKey(fast, 'deactivateApiKey', apiKey.id);
    expect(await ask()).toBe('INACTIVE');
    await changeKey(fast, 'reactivateApiKey', apiKey.id);
    expect(await ask()).toBe('VALID');
    await changeKey(fast, 'deleteApiKey', apiKey.id);
    expect(await ask()).toBe('DELETED');
  });
});
