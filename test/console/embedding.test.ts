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

/** A platform's page on an origin of its own (port 0: any free one), framing the console and handing it `token` when asked. */
async function platformPage(consoleUrl: string, token: string, port = 0): Promise<string> {
  const consoleOrigin = new URL(consoleUrl).origin;
  const html = `<!doctype html><html lang="en"><head><title>Platform settings</title></head><body>
<h1>Project settings</h1>
<iframe id="console" title="API keys" src="${consoleUrl}/#/projects/demo/keys" style="width:1200px;height:700px"></iframe>
<script>
  window.asked = [];
  window.addEventListener('message', (event) => {
    if (event.origin !== ${JSON.stringify(consoleOrigin)}) return;
    window.asked.push(event.data && event.data.type);
    if (event.data && (event.data.type === 'api-keys-console:ready' || event.data.type === 'api-keys-console:token-expired'))
      event.source.postMessage({ type: 'api-keys-console:token', token: ${JSON.stringify(token)}, projectId: 'demo' }, ${JSON.stringify(consoleOrigin)});
  });
</script></body></html>`;
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('embedding the console', () => {
  let service: ConsoleServer;

  it("runs in a listed platform's frame with the token the platform hands it", async () => {
    // The service must list the platform's origin before the platform's page exists: pick its port first.
    const reserve = createServer();
    await new Promise<void>((resolve) => reserve.listen(0, '127.0.0.1', resolve));
    const platformPort = (reserve.address() as AddressInfo).port;
    await new Promise((resolve) => reserve.close(resolve));
    const platformOrigin = `http://127.0.0.1:${platformPort}`;

    service = await startConsoleServer({ developmentToken: false, consoleEmbedOrigins: [platformOrigin], actor: 'platform-backend' });
    closers.push(() => service.close());
    await service.gql('mutation { generateApiKey(input: { projectId: "demo", name: "Embedded view key", environment: "live" }) { __typename } }');
    const userToken = await service.tokenFor('jane@platform.example', { demo: ['keys:read', 'keys:write', 'audit:read'] });

    expect(await platformPage(service.url, userToken, platformPort)).toBe(platformOrigin);

    const page = await browser.newPage();
    await page.goto(platformOrigin);
    const frame = page.frameLocator('#console');
    await frame.getByRole('table', { name: 'API keys' }).getByRole('row').filter({ hasText: 'Embedded view key' }).waitFor();
    expect(await frame.getByText('jane@platform.example').count()).toBe(1);
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
