import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchBrowser, NON_LOOPBACK_HOST, pageProblems, pageText, runAxe, storageDump } from '../support/browser';
import { type ConsoleServer, startConsoleServer } from '../support/console-server';

// Opening the console: who it acts as is settled before any view shows. A page loaded
// from this machine in development acts with the development token at once; any other
// page asks for a bearer token, which it keeps for this tab only.

// Generous: the whole suite runs beside these tests, each file with servers of its own.
const SHOWN = { timeout: 15_000 };

const keysHeading = (page: Page) => page.getByRole('heading', { level: 1, name: 'API Keys' });
const signInHeading = (page: Page) => page.getByRole('heading', { level: 1, name: 'Sign in' });
const subjectInHeader = (page: Page, subject: string) => page.locator('header').getByText(subject, { exact: true });

/** The addresses of every request the page makes to another origin than its own. */
function foreignRequests(page: Page, origin: string): string[] {
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) foreign.push(url);
  });
  return foreign;
}

describe('the console opened from this machine in development', () => {
  let server: ConsoleServer;
  let browser: ConsoleBrowser;
  beforeAll(async () => {
    server = await startConsoleServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each(['127.0.0.1', 'localhost'])('acts with the development token at http://%s:<port>/, with no sign-in and no error', async (host) => {
    const origin = `http://${host}:${server.port}`;
    const page = await browser.newPage();
    const foreign = foreignRequests(page, origin);
    await page.goto(`${origin}/`);
    await keysHeading(page).waitFor(SHOWN);
    await subjectInHeader(page, 'developer').waitFor(SHOWN);
    expect(await signInHeading(page).count()).toBe(0);
    expect(await page.getByLabel('Bearer token').count()).toBe(0);
    expect(await page.title()).toBe('API Keys');
    // Its one project opens by itself.
    await page.waitForURL(`${origin}/#/projects/demo/keys`, SHOWN);
    await page.waitForLoadState('load');
    expect(pageProblems(page)).toEqual([]);
    expect(foreign).toEqual([]);
    // The development token stays in memory: nothing a later visitor of this browser profile could read.
    expect(JSON.stringify(await storageDump(page))).not.toContain(server.devToken);
    expect(await pageText(page)).not.toContain(server.devToken);
    await page.close();
  });

  it('asks for a token when loaded under another host name, as DNS rebinding would load it', async () => {
    const page = await browser.newPage();
    await page.goto(`http://${NON_LOOPBACK_HOST}:${server.port}/`);
    await signInHeading(page).waitFor(SHOWN);
    await page.getByLabel('Bearer token').waitFor(SHOWN);
    expect(await keysHeading(page).count()).toBe(0);
    expect(await pageText(page)).not.toContain(server.devToken);
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });
});

describe('leaving the development token', () => {
  let browser: ConsoleBrowser;
  const servers: ConsoleServer[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
  });

  /** How many GraphQL requests the page sends from now on. */
  function countGraphQL(page: Page): () => number {
    let count = 0;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/graphql') count++;
    });
    return () => count;
  }

  it('signs out for good: the development token is not taken up again by itself', async () => {
    const server = await startConsoleServer();
    servers.push(server);
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await subjectInHeader(page, 'developer').waitFor(SHOWN);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInHeading(page).waitFor(SHOWN);
    const sent = countGraphQL(page);
    await page.waitForTimeout(1500);
    expect(await signInHeading(page).count()).toBe(1);
    expect(sent()).toBe(0);
    await page.close();
  });

  it('shows the sign-in screen, saying why, when the service refuses the development token (no retrying without end)', async () => {
    // A token signed with another secret: what a page gets from a server whose token expired or changed.
    const { signToken } = await import('../../src/auth/sign-token');
    const refused = await signToken('another-secret-that-is-at-least-32-characters', { sub: 'developer', perms: { demo: ['keys:read'] }, expiresIn: 3600 });
    const server = await startConsoleServer({ graphiqlToken: refused });
    servers.push(server);
    const page = await browser.newPage();
    const sent = countGraphQL(page);
    await page.goto(`${server.url}/`);
    await signInHeading(page).waitFor(SHOWN);
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('refused');
    await page.waitForTimeout(1500);
    expect(sent()).toBeLessThanOrEqual(4);
    expect(await signInHeading(page).count()).toBe(1);
    await page.close();
  });
});

describe('the console without a development token', () => {
  let server: ConsoleServer;
  let browser: ConsoleBrowser;
  beforeAll(async () => {
    server = await startConsoleServer({ developmentToken: false });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const openSignIn = async (viewport?: { width: number; height: number }) => {
    const page = await browser.newPage(viewport);
    await page.goto(`${server.url}/`);
    await signInHeading(page).waitFor(SHOWN);
    return page;
  };

  const signIn = async (page: Page, token: string) => {
    await page.getByLabel('Bearer token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('shows the sign-in screen, with a labelled field for the bearer token', async () => {
    const page = await openSignIn();
    const field = page.getByLabel('Bearer token');
    await field.waitFor(SHOWN);
    // Typed like a password: not shown on screen, not offered to autofill.
    expect(await field.getAttribute('type')).toBe('password');
    expect(await keysHeading(page).count()).toBe(0);
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  it.each([
    { width: 390, height: 844 },
    { width: 1280, height: 800 },
  ])('has no serious accessibility violation at $width px, and fits the width', async (viewport) => {
    const page = await openSignIn(viewport);
    expect(await runAxe(page)).toEqual([]);
    const scrollWidth = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
    expect(scrollWidth).toBeLessThanOrEqual(viewport.width);
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  it('signs in with a valid token, keeps it for this tab only, and forgets it on sign-out', async () => {
    const page = await openSignIn();
    await signIn(page, `Bearer ${server.devToken}`);
    await keysHeading(page).waitFor(SHOWN);
    await subjectInHeader(page, 'developer').waitFor(SHOWN);

    const signedIn = await storageDump(page);
    expect(Object.values(signedIn.sessionStorage)).toEqual([server.devToken]);
    expect(JSON.stringify({ ...signedIn, sessionStorage: null })).not.toContain(server.devToken);
    expect(page.url()).not.toContain(server.devToken);

    // A reload keeps the session; another tab has none.
    await page.reload();
    await keysHeading(page).waitFor(SHOWN);
    expect(await signInHeading(page).count()).toBe(0);
    const otherTab = await browser.newPage();
    await otherTab.goto(`${server.url}/`);
    await signInHeading(otherTab).waitFor(SHOWN);
    await otherTab.close();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInHeading(page).waitFor(SHOWN);
    expect(JSON.stringify(await storageDump(page))).not.toContain(server.devToken);
    expect(await pageText(page)).not.toContain(server.devToken);
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  it('refuses a token the service does not accept, says so, and keeps nothing', async () => {
    const page = await openSignIn();
    const forged = `${server.devToken.slice(0, -4)}AAAA`;
    await signIn(page, forged);
    const notice = page.getByRole('alert');
    await notice.waitFor(SHOWN);
    expect(await notice.textContent()).toMatch(/token/i);
    await signInHeading(page).waitFor(SHOWN);
    expect(await keysHeading(page).count()).toBe(0);
    expect(JSON.stringify(await storageDump(page))).not.toContain(forged);
    // The field is empty again: the refused token is not left on screen either.
    expect(await page.getByLabel('Bearer token').inputValue()).toBe('');
    // The browser logs the refused request (401) itself; nothing else may go wrong.
    expect(pageProblems(page).filter((problem) => !/status of 401/.test(problem))).toEqual([]);

    // The same token pasted again is refused again, back to the sign-in screen (not a stuck page).
    await signIn(page, forged);
    await signInHeading(page).waitFor(SHOWN);
    await expect.poll(() => page.getByLabel('Bearer token').inputValue()).toBe('');

    // Signing in again with a good token works from there, on the view the address names.
    await page.evaluate(() => {
      window.location.hash = '#/projects/demo/audit';
    });
    await signIn(page, server.devToken);
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor(SHOWN);
    await page.getByRole('link', { name: 'Keys' }).click();
    await keysHeading(page).waitFor(SHOWN);
    await page.close();
  });
});
