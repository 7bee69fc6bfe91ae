import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/auth/sign-token';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/test-server';

const QUERY = { query: '{ project(id: "proj_1") { apiKeys { edges { node { id } } } } }' };
const perms = { proj_1: ['keys:read' as const] };
const secretKey = new TextEncoder().encode(TEST_JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);

async function expectUnauthenticated(response: Response) {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer');
  const body = await response.json();
  expect(body.data).toBeUndefined();
  expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
  expect(JSON.stringify(body)).not.toMatch(/stack|jose|JWS|signature verification/i);
}

describe('authentication with a shared HS256 secret', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('accepts a valid token and records its sub as the actor', async () => {
    const token = await server.tokenFor('alice', { proj_1: ['keys:read', 'keys:write'] });
    const body = await server.gql(
      `mutation { generateApiKey(input: { projectId: "proj_1", name: "mine", environment: "live" }) { ... on GenerateApiKeyPayload { apiKey { createdBy } } } }`,
      {},
      { token },
    );
    expect(body.data.generateApiKey.apiKey.createdBy).toBe('alice');
  });

  it.each([
    ['no Authorization header', async () => null],
    ['a Basic header', async () => 'Basic YWxpY2U6c2VjcmV0'],
    ['a malformed token', async () => 'Bearer not.a.jwt'],
    ['a token signed with another secret', async () => `Bearer ${await signToken('another-secret-of-at-least-32-characters!', { sub: 'a', perms, expiresIn: 60 })}`],
    [
      'an expired token',
      async () =>
        `Bearer ${await new SignJWT({ perms })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('a')
          .setExpirationTime(now() - 120)
          .sign(secretKey)}`,
    ],
    [
      'a token not valid yet',
      async () =>
        `Bearer ${await new SignJWT({ perms })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('a')
          .setNotBefore(now() + 300)
          .setExpirationTime(now() + 600)
          .sign(secretKey)}`,
    ],
    ['a token without exp', async () => `Bearer ${await new SignJWT({ perms }).setProtectedHeader({ alg: 'HS256' }).setSubject('a').sign(secretKey)}`],
    [
      'a token without sub',
      async () =>
        `Bearer ${await new SignJWT({ perms })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime(now() + 60)
          .sign(secretKey)}`,
    ],
    [
      'a token whose perms is not a map',
      async () =>
        `Bearer ${await new SignJWT({ perms: ['keys:read'] })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('a')
          .setExpirationTime(now() + 60)
          .sign(secretKey)}`,
    ],
    [
      'an unsigned token (alg none)',
      async () => {
        const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        return `Bearer ${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'a', perms, exp: now() + 60 })}.`;
      },
    ],
  ])('rejects %s with 401 UNAUTHENTICATED and no data', async (_case, header) => {
    const authorization = await header();
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(QUERY),
    });
    await expectUnauthenticated(response);
  });

  const withSub = (sub: string) =>
    new SignJWT({ perms })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setExpirationTime(now() + 60)
      .sign(secretKey);

  it.each([
    ['a NUL', 'ali\u0000ce'],
    ['an ANSI escape', '\u001b[31malice'],
    ['a right-to-left override', 'alice\u202Eecila'],
    ['a left-to-right embedding', '\u202Aalice'],
    ['a first-strong isolate', 'alice\u2068'],
    ['a zero-width space', 'ali\u200Bce'],
    ['a right-to-left mark', 'alice\u200F'],
    ['a byte order mark', '\uFEFFalice'],
    ['a line separator', 'alice\u2028bob'],
    ['a paragraph separator', 'alice\u2029'],
    ['a Hangul filler that draws nothing', 'alice\u3164'],
    ['only spaces', '   '],
    ['only a newline and tabs', '\n\t\t'],
    ['201 characters', 'a'.repeat(201)],
    ['201 emoji', '🔑'.repeat(201)],
  ])('rejects a sub with %s: 401, the sub claim is invalid', async (_case, sub) => {
    const response = await server.post(QUERY, { token: await withSub(sub) });
    const text = await response.clone().text();
    await expectUnauthenticated(response);
    expect(JSON.parse(text).errors[0].message).toMatch(/sub claim is invalid/);
  });

  it('accepts a sub of 200 characters counted as a person would, emoji and right-to-left scripts included', async () => {
    for (const sub of ['a'.repeat(200), '🔑'.repeat(200), 'مستخدم', 'Zoë Ångström']) {
      const token = await withSub(sub);
      expect((await server.post(QUERY, { token })).status).toBe(200);
    }
  });

  it('rejects a token that expires too far in the future (default 30 days), however it is written', async () => {
    const expiringIn = (seconds: number) =>
      new SignJWT({ perms })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('a')
        .setExpirationTime(now() + seconds)
        .sign(secretKey);
    const forever = await new SignJWT({ perms, exp: 1e300 }).setProtectedHeader({ alg: 'HS256' }).setSubject('a').sign(secretKey);
    for (const token of [await expiringIn(31 * 86_400), await expiringIn(10 * 365 * 86_400), forever]) {
      const response = await server.post(QUERY, { token });
      const text = await response.clone().text();
      await expectUnauthenticated(response);
      expect(JSON.parse(text).errors[0].message).toMatch(/expires too far in the future/);
    }
    // Within the limit, clock skew included, the token is fine.
    expect((await server.post(QUERY, { token: await expiringIn(30 * 86_400 + 10) })).status).toBe(200);
  });

  it('tolerates a small clock skew on exp', async () => {
    const token = await new SignJWT({ perms })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setExpirationTime(now() - 5)
      .sign(secretKey);
    const response = await server.post(QUERY, { token });
    expect(response.status).toBe(200);
  });
});

describe('issuer and audience, when configured', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ auth: { jwtSecret: TEST_JWT_SECRET, issuer: 'https://id.example', audience: 'api-keys' } });
  });
  afterAll(() => server.close());

  it('accepts only tokens from that issuer for that audience', async () => {
    const sign = (issuer?: string, audience?: string) => signToken(TEST_JWT_SECRET, { sub: 'a', perms, expiresIn: 60, issuer, audience });
    expect((await server.post(QUERY, { token: await sign('https://id.example', 'api-keys') })).status).toBe(200);
    await expectUnauthenticated(await server.post(QUERY, { token: await sign('https://evil.example', 'api-keys') }));
    await expectUnauthenticated(await server.post(QUERY, { token: await sign('https://id.example', 'other-api') }));
    await expectUnauthenticated(await server.post(QUERY, { token: await sign() }));
  });
});

describe('a shorter maximum token lifetime, when configured', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ auth: { jwtSecret: TEST_JWT_SECRET, maxTokenLifetimeSeconds: 3600 } });
  });
  afterAll(() => server.close());

  it('accepts tokens up to that lifetime and rejects longer ones', async () => {
    const sign = (expiresIn: number) => signToken(TEST_JWT_SECRET, { sub: 'a', perms, expiresIn });
    expect((await server.post(QUERY, { token: await sign(3600) })).status).toBe(200);
    await expectUnauthenticated(await server.post(QUERY, { token: await sign(2 * 3600) }));
  });
});

describe('authentication against a JWKS endpoint', () => {
  let jwks: Server;
  let published: JWK[] = [];
  let fetches = 0;
  let server: TestServer;

  beforeAll(async () => {
    // The identity provider: a JWKS document on loopback.
    jwks = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    server = await startTestServer({ auth: { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, jwksCooldownMs: 200 } });
  });
  afterAll(async () => {
    await server.close();
    jwks.close();
  });

  async function keyPair(kid: string, alg: 'RS256' | 'ES256') {
    const { publicKey, privateKey } = await generateKeyPair(alg);
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    const sign = () => new SignJWT({ perms }).setProtectedHeader({ alg, kid }).setSubject('idp-user').setExpirationTime('5m').sign(privateKey);
    return { jwk, sign };
  }

  it('verifies RS256 and ES256 tokens, and refetches the keys when a new kid appears', async () => {
    const first = await keyPair('key-1', 'RS256');
    published = [first.jwk];
    expect((await server.post(QUERY, { token: await first.sign() })).status).toBe(200);
    const fetchesAfterFirst = fetches;
    expect((await server.post(QUERY, { token: await first.sign() })).status).toBe(200);
    expect(fetches).toBe(fetchesAfterFirst); // cached

    // The provider rotates to a new key: tokens with the new kid must verify at once.
    const second = await keyPair('key-2', 'ES256');
    published = [first.jwk, second.jwk];
    await new Promise((resolve) => setTimeout(resolve, 250)); // past the refetch cool-down
    expect((await server.post(QUERY, { token: await second.sign() })).status).toBe(200);
    expect(fetches).toBeGreaterThan(fetchesAfterFirst);

    // HS256 tokens are not accepted when a JWKS is configured.
    await expectUnauthenticated(await server.post(QUERY, { token: await signToken(TEST_JWT_SECRET, { sub: 'a', perms, expiresIn: 60 }) }));
    // Neither are tokens from a key the provider never published.
    const rogue = await keyPair('key-3', 'RS256');
    await expectUnauthenticated(await server.post(QUERY, { token: await rogue.sign() }));
  });
});
