import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/test-server';

// In development GraphiQL opens with an all-permission token in its headers. A page
// of another site can reach a server on 127.0.0.1 by DNS rebinding (its own name,
// pointed at 127.0.0.1): the request then names that site in Host. So the token goes
// only to requests addressed to a loopback name, from no other site.

const TOKEN = 'development-token-that-must-stay-on-this-machine';

describe('the development token in GraphiQL', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ graphiqlToken: TOKEN });
  });
  afterAll(() => server.close());

  const page = (headers: Record<string, string>) => rawRequest(server.port, { headers: { accept: 'text/html', ...headers } });

  it('is in the page for a loopback Host, with no Origin or a loopback one', async () => {
    for (const headers of <Record<string, string>[]>[
      { host: `127.0.0.1:${server.port}` },
      { host: `localhost:${server.port}` },
      { host: 'localhost' },
      { host: `[::1]:${server.port}` },
      { host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` },
      { host: `127.0.0.1:${server.port}`, referer: `http://127.0.0.1:${server.port}/graphql?query=x` },
    ]) {
      const response = await page(headers);
      expect(response.status, JSON.stringify(headers)).toBe(200);
      expect(response.body, JSON.stringify(headers)).toContain(TOKEN);
    }
  });

  it('is not in the page for any other Host, or another site’s Origin or Referer', async () => {
    for (const headers of <Record<string, string>[]>[
      { host: 'evil.example:4000' },
      { host: 'evil.example' },
      { host: `localhost.evil.example:${server.port}` },
      { host: `127.0.0.1.nip.io:${server.port}` },
      { host: `127.0.0.1:${server.port}`, origin: 'http://evil.example' },
      { host: `127.0.0.1:${server.port}`, origin: 'null' },
      { host: `localhost:${server.port}`, origin: `https://localhost.evil.example` },
      { host: `localhost:${server.port}`, referer: 'http://evil.example/attack.html' },
      { host: `localhost:${server.port}`, origin: `http://localhost:${server.port}`, referer: 'http://evil.example/' },
    ]) {
      const response = await page(headers);
      expect(response.status, JSON.stringify(headers)).toBe(200);
      // Still GraphiQL, just without the token.
      expect(response.body, JSON.stringify(headers)).toContain('API key service');
      expect(response.body, JSON.stringify(headers)).not.toContain(TOKEN);
    }
  });

  it('is not in the page for a request through a proxy on this machine, or one another site sent', async () => {
    for (const headers of <Record<string, string>[]>[
      { host: `127.0.0.1:${server.port}`, 'x-forwarded-for': '203.0.113.9' },
      { host: `localhost:${server.port}`, forwarded: 'for=203.0.113.9;host=localhost' },
      { host: `localhost:${server.port}`, 'x-real-ip': '203.0.113.9' },
      { host: `127.0.0.1:${server.port}`, 'sec-fetch-site': 'cross-site' },
      { host: `127.0.0.1:${server.port}`, 'sec-fetch-site': 'same-site' },
    ]) {
      const response = await page(headers);
      expect(response.status, JSON.stringify(headers)).toBe(200);
      expect(response.body, JSON.stringify(headers)).toContain('API key service');
      expect(response.body, JSON.stringify(headers)).not.toContain(TOKEN);
    }
    // An address typed into the browser (Sec-Fetch-Site: none) or the page's own request still get it.
    for (const site of ['none', 'same-origin']) {
      const response = await page({ host: `127.0.0.1:${server.port}`, 'sec-fetch-site': site });
      expect(response.body, site).toContain(TOKEN);
    }
  });
});
