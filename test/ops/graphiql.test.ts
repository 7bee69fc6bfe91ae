import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/principal';
import { GRAPHIQL_EXAMPLE } from '../../src/server/graphiql-page';
import { rawRequest } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/test-server';

// GraphiQL is served whole by the server (no CDN), so it works offline and no
// third-party script runs beside the development token; it opens on a worked
// example of this API, which must itself work.

const DEV_TOKEN = 'development-token-for-the-graphiql-test';

describe('GraphiQL', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ graphiqlToken: DEV_TOKEN });
  });
  afterAll(() => server?.close());

  const page = (host = `localhost:${server.port}`) => rawRequest(server.port, { headers: { accept: 'text/html', host } });

  /** The options the page hands GraphiQL, as the page's script reads them. */
  const optionsIn = (html: string) => {
    const match = /YogaGraphiQL\.renderYogaGraphiQL\(\s*window\.document\.querySelector\('#root'\),\s*(\{.*\}),\s*\);/.exec(html);
    expect(match, 'the page renders GraphiQL with options').not.toBeNull();
    return JSON.parse(match![1]!) as { title?: string; defaultQuery?: string; headers?: string };
  };

  it('is one self-contained page: no script, style, font or icon from another server', async () => {
    const response = await page();
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    const html = response.body;
    // Booleans, not matchers on the page: a failure would print all 9 MB of it.
    expect(/<title>([^<]*)<\/title>/.exec(html)?.[1]).toBe('API key service');
    expect(html.includes('__TITLE__')).toBe(false);
    // The markup, without the inline script and style bodies (whose text mentions URLs that are never loaded).
    const markup = html.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1</script>').replace(/(<style\b[^>]*>)[\s\S]*?<\/style>/gi, '$1</style>');
    const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map((match) => match[1]!).join('\n');
    // What is left is a page skeleton (the inline icon aside): the script bodies really were cut out.
    expect(markup.replace(/data:[^"']*/g, 'data:').length).toBeLessThan(2000);
    expect(styles.length).toBeGreaterThan(1000);
    // Every src= and href= in the markup is inline (data:) or a fragment.
    const references = [...markup.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((match) => match[1]!.slice(0, 80));
    expect(references.length).toBeGreaterThan(0);
    expect(references.filter((reference) => !/^(data:|#|$)/.test(reference))).toEqual([]);
    const external = {
      scriptWithSrc: /<script[^>]*\ssrc\s*=/i.test(markup),
      linkToAnotherServer: /<link[^>]*\shref\s*=\s*["']?(?!["']|data:)/i.test(markup),
      cssImport: /@import/i.test(styles),
      cssUrl: /url\(\s*["']?(?!data:)[a-z]+:/i.test(styles) || /url\(\s*["']?\/\//i.test(styles),
      cdn: /unpkg\.com|jsdelivr\.net|cdnjs\./i.test(html),
    };
    expect(
      Object.entries(external)
        .filter(([, found]) => found)
        .map(([name]) => name),
    ).toEqual([]);
  });

  it('opens on the worked example, with the development token for a page asked for on this machine only', async () => {
    const local = optionsIn((await page()).body);
    expect(local.title).toBe('API key service');
    expect(local.defaultQuery).toBe(GRAPHIQL_EXAMPLE);
    expect(local.defaultQuery).toContain('query ListKeys');
    expect(JSON.parse(local.headers!)).toEqual({ Authorization: `Bearer ${DEV_TOKEN}` });
    const rebound = optionsIn((await page('evil.example')).body);
    expect(rebound.defaultQuery).toBe(GRAPHIQL_EXAMPLE);
    expect(rebound.headers).toBeUndefined();
    expect((await page('evil.example')).body.includes(DEV_TOKEN)).toBe(false);
  });

  it('the example works as written: list, generate, then verify the new secret', async () => {
    // A token like the one npm start prints: every permission on "demo" but operator.
    const token = await server.tokenFor('developer', { demo: PERMISSIONS.filter((permission) => permission !== 'operator') });
    const run = async (operationName: string, variables: Record<string, unknown> = {}) => {
      const response = await server.post({ query: GRAPHIQL_EXAMPLE, operationName, variables }, { token });
      const body = (await response.json()) as { data?: any; errors?: unknown[] };
      expect(body.errors, operationName).toBeUndefined();
      return body.data;
    };
    expect((await run('ListKeys')).project.apiKeys.edges).toEqual([]);
    const generated = (await run('GenerateKey')).generateApiKey;
    expect(generated.__typename).toBe('GenerateApiKeyPayload');
    const verified = (await run('VerifyKey', { secret: generated.secret })).verifyApiKey;
    expect(verified).toMatchObject({ valid: true, code: 'VALID', key: { id: generated.apiKey.id, projectId: 'demo' } });
    const listed = (await run('ListKeys')).project.apiKeys.edges.map((edge: { node: { id: string } }) => edge.node.id);
    expect(listed).toEqual([generated.apiKey.id]);
  });

  it('is not served in production', async () => {
    const production = await startTestServer({ production: true, graphiqlToken: DEV_TOKEN });
    try {
      const response = await rawRequest(production.port, { headers: { accept: 'text/html' } });
      expect(response.body.includes('renderYogaGraphiQL')).toBe(false);
      expect(response.body.includes(DEV_TOKEN)).toBe(false);
    } finally {
      await production.close();
    }
  });
});
