import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchBrowser, pageProblems } from '../support/browser';
import { type ConsoleServer, startConsoleServer } from '../support/console-server';

// A platform embedding the console in its own page, as the README describes: the service
// lists the platform's origin in CONSOLE_EMBED_ORIGINS, the console says "ready" to its
// parent, and the parent answers with its user's token. A page of an origin not listed
// cannot frame the console at all.

let browser: ConsoleBrowser;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  for (const close of closers.reverse()) await close();
});

/**
 * A platform's page on an origin of its own (port 0: any free one), framing the console and
 * handing it a token each time it asks: the given tokens in turn, the last one again and again.
 */
async function platformPage(consoleUrl: string, tokens: string | string[], port = 0): Promise<string> {
  const consoleOrigin = new URL(consoleUrl).origin;
  const html = `<!doctype html><html lang="en"><head><title>Platform settings</title></head><body>
<h1>Project settings</h1>
<iframe id="console" title="API keys" src="${consoleUrl}/#/projects/demo/keys" style="width:1200px;height:700px"></iframe>
<script>
  window.asked = [];
  const tokens = ${JSON.stringify([tokens].flat())};
  window.addEventListener('message', (event) => {
    if (event.origin !== ${JSON.stringify(consoleOrigin)}) return;
    window.asked.push(event.data && event.data.type);
    if (event.data && (event.data.type === 'api-keys-console:ready' || event.data.type === 'api-keys-console:token-expired')) {
      const token = tokens.length > 1 ? tokens.shift() : tokens[0];
      event.source.postMessage({ type: 'api-keys-console:token', token, projectId: 'demo' }, ${JSON.stringify(consoleOrigin)});
    }
  });
</script></body></html>`;
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A free port for the platform's page, so the service can list its origin before the page exists. */
async function freePort(): Promise<number> {
  const reserve = createServer();
  await new Promise<void>((resolve) => reserve.listen(0, '127.0.0.1', resolve));
  const { port } = reserve.address() as AddressInfo;
  await new Promise((resolve) => reserve.close(resolve));
  return port;
}

/** A service that lets http://127.0.0.1:<platformPort> embed its console, and a key to see there. */
async function embeddableService(platformPort: number): Promise<ConsoleServer> {
  // With the development token on: a framed console must still act only as the platform's user.
  const service = await startConsoleServer({ consoleEmbedOrigins: [`http://127.0.0.1:${platformPort}`], actor: 'platform-backend' });
  closers.push(() => service.close());
  await service.gql('mutation { generateApiKey(input: { projectId: "demo", name: "Embedded view key", environment: "live" }) { __typename } }');
  return service;
}

/** A token this service refuses: signed with another secret, as a misconfigured platform would. */
async function refusedToken(): Promise<string> {
  const { signToken } = await import('../../src/auth/sign-token');
  return signToken('a-secret-this-service-does-not-know-at-all', { sub: 'jane@platform.example', perms: { demo: ['keys:read'] }, expiresIn: 3600 });
}

describe('embedding the console', () => {
  it("runs in a listed platform's frame with the token the platform hands it", async () => {
    const platformPort = await freePort();
    const service = await embeddableService(platformPort);
    const userToken = await service.tokenFor('jane@platform.example', { demo: ['keys:read', 'keys:write', 'audit:read'] });
    const platformOrigin = await platformPage(service.url, userToken, platformPort);
    expect(platformOrigin).not.toBe(new URL(service.url).origin);

    const page = await browser.newPage();
    await page.goto(platformOrigin);
    const frame = page.frameLocator('#console');
    await frame.getByRole('table', { name: 'API keys' }).getByRole('row').filter({ hasText: 'Embedded view key' }).waitFor();
    expect(await frame.getByText('jane@platform.example').count()).toBe(1);
    expect(await frame.getByText('developer', { exact: true }).count()).toBe(0);
    // No sign-in screen and no sign-out button: the platform owns the session.
    expect(await frame.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).asked)).toContain('api-keys-console:ready');
    // The token stays in the frame's memory: nothing in its storage (a framed page may not even be allowed storage).
    const stored = await page.frames()[1]!.evaluate(() => {
      try {
        return JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage });
      } catch {
        return 'storage denied to the frame';
      }
    });
    expect(stored).not.toContain(userToken);
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  it('asks the platform for a new token when the API refuses the one it has, and carries on with it', async () => {
    const platformPort = await freePort();
    const service = await embeddableService(platformPort);
    const good = await service.tokenFor('jane@platform.example', { demo: ['keys:read'] });
    const page = await browser.newPage();
    await page.goto(await platformPage(service.url, [await refusedToken(), good], platformPort));
    await page.frameLocator('#console').getByRole('table', { name: 'API keys' }).getByRole('row').filter({ hasText: 'Embedded view key' }).waitFor();
    expect(await page.evaluate(() => (globalThis as any).asked)).toEqual(['api-keys-console:ready', 'api-keys-console:token-expired']);
    await page.close();
  });

  it('stops asking after three refused tokens in a row, and says why', async () => {
    const platformPort = await freePort();
    const service = await embeddableService(platformPort);
    const page = await browser.newPage();
    await page.goto(await platformPage(service.url, await refusedToken(), platformPort));
    const alert = page.frameLocator('#console').getByRole('alert');
    await expect.poll(() => alert.innerText()).toContain('3 tokens in a row that the service refused');
    await page.waitForTimeout(1500);
    const asked: string[] = await page.evaluate(() => (globalThis as any).asked);
    expect(asked.filter((type) => type === 'api-keys-console:token-expired')).toHaveLength(2);
    // Not the development token instead, though this server hands it to pages on this machine.
    expect(await page.frameLocator('#console').getByText('developer', { exact: true }).count()).toBe(0);
    await page.close();
  });

  it('cannot be framed by a page of an origin the service does not list', async () => {
    const unlisted = await startConsoleServer({ developmentToken: false });
    closers.push(() => unlisted.close());
    const page = await browser.newPage();
    await page.goto(await platformPage(unlisted.url, 'never-handed-over'));
    await page.waitForTimeout(1500);
    expect(await page.frameLocator('#console').getByRole('heading').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).asked)).toEqual([]);
    expect(pageProblems(page).join('\n')).toMatch(/frame-ancestors|Refused to frame/);
    await page.close();
  });
});
