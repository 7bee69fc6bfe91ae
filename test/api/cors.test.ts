import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config';
import { generateKey } from '../support/api-key-operations';
import { rawRequest } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/test-server';

// A browser page of another site must not be able to read this API's answers: CORS
// is closed unless an origin is listed, and credentials are never allowed.

const preflight = (server: TestServer, origin: string) =>
  rawRequest(server.port, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });

const post = (server: TestServer, origin: string, query = '{ project(id: "proj_cors") { projectId } }', variables: object = {}) =>
  rawRequest(server.port, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ query, variables }),
  });

const VERIFY = 'mutation ($secret: String!) { verifyApiKey(input: { secret: $secret }) { valid code } }';

function expectNoCors(response: { headers: Record<string, unknown> }) {
  const names = Object.keys(response.headers).filter((name) => name.startsWith('access-control-'));
  expect(names).toEqual([]);
}

describe('CORS is closed by default', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('gives another site no CORS headers, on a preflight or on a request', async () => {
    expectNoCors(await preflight(server, 'https://evil.example'));
    const answer = await post(server, 'https://evil.example');
    expect(JSON.parse(answer.body)).toEqual({ data: { project: { projectId: 'proj_cors' } } });
    expectNoCors(answer);
  });
});

describe('CORS for listed origins', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ corsOrigins: ['https://app.example.com', 'http://localhost:3000'] });
  });
  afterAll(() => server.close());

  it('allows exactly the listed origins, without credentials', async () => {
    for (const origin of ['https://app.example.com', 'http://localhost:3000']) {
      const allowed = await preflight(server, origin);
      expect(allowed.headers['access-control-allow-origin']).toBe(origin);
      expect(String(allowed.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
      expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
      const answer = await post(server, origin);
      expect(answer.headers['access-control-allow-origin']).toBe(origin);
      expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
      expect(String(answer.headers.vary)).toMatch(/origin/i);
    }
  });

  it('gives unlisted origins, near misses included, nothing', async () => {
    for (const origin of ['https://evil.example', 'http://app.example.com', 'https://app.example.com.evil.example', 'https://app.example.com:8443', 'null']) {
      expectNoCors(await preflight(server, origin));
      expectNoCors(await post(server, origin));
    }
  });

  it('answers a listed origin’s verification with the header too', async () => {
    const { secret } = await generateKey(server, { projectId: 'proj_cors' });
    const answer = await post(server, 'https://app.example.com', VERIFY, { secret });
    expect(JSON.parse(answer.body)).toEqual({ data: { verifyApiKey: { valid: true, code: 'VALID' } } });
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expectNoCors(await post(server, 'https://evil.example', VERIFY, { secret }));
  });
});

describe('CORS_ORIGINS', () => {
  it('is empty by default, and a comma-separated list of origins', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:3000 ,https://[::1]:8443' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
      'https://[::1]:8443',
    ]);
  });

  it.each([
    ['a wildcard', '*'],
    ['a path', 'https://app.example.com/settings'],
    ['a trailing slash', 'https://app.example.com/'],
    ['another scheme', 'ftp://files.example.com'],
    ['no scheme', 'app.example.com'],
    ['a query', 'https://app.example.com?x=1'],
    ['credentials', 'https://user:pass@app.example.com'],
    ['an empty entry', 'https://app.example.com,,https://b.example.com'],
    ['upper case', 'https://App.example.com'],
  ])('refuses %s', (_case, value) => {
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(/^CORS_ORIGINS /);
  });
});
