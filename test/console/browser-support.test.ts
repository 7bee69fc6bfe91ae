import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchBrowser, pageProblems, pageText, readClipboard, runAxe, storageDump } from '../support/browser';
import { type ConsoleServer, startConsoleServer } from '../support/console-server';

// The console's browser tests pass when a helper finds nothing: no page problem, no
// accessibility violation, no secret in storage or in the DOM. Each helper is shown
// here to find what it looks for, so that "nothing" means nothing was there.

describe('the browser test helpers', () => {
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

  const signInPage = async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await page.getByLabel('Bearer token').waitFor();
    return page;
  };

  it('record a Content-Security-Policy violation, a logged error and an uncaught exception', async () => {
    const page = await signInPage();
    expect(pageProblems(page)).toEqual([]);
    await page.evaluate(() => {
      const { document, console, setTimeout } = globalThis as any;
      const script = document.createElement('script');
      script.textContent = 'globalThis.inlineRan = true';
      document.body.append(script);
      console.error('logged on purpose');
      setTimeout(() => {
        throw new Error('thrown on purpose');
      });
    });
    await expect.poll(() => pageProblems(page).length).toBeGreaterThanOrEqual(3);
    const problems = pageProblems(page).join('\n');
    expect(problems).toMatch(/CSP violation: script-src-elem refused inline/);
    expect(problems).toContain('console error: logged on purpose');
    expect(problems).toContain('uncaught: thrown on purpose');
    // The policy held: the inline script did not run.
    expect(await page.evaluate(() => (globalThis as any).inlineRan)).toBeUndefined();
    await page.close();
  });

  it('find serious accessibility violations, despite the page’s policy', async () => {
    const page = await signInPage();
    expect(await runAxe(page)).toEqual([]);
    await page.evaluate(() => {
      const { document } = globalThis as any;
      const image = document.createElement('img');
      image.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
      image.id = 'unlabelled-image';
      document.querySelector('main').append(image);
    });
    const violations = await runAxe(page);
    expect(violations).toContainEqual(expect.objectContaining({ id: 'image-alt', impact: 'critical', targets: ['#unlabelled-image'] }));
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  it('find a value in every kind of storage, and in fields and the address', async () => {
    const page = await signInPage();
    const empty = await storageDump(page);
    expect(empty).toEqual({ localStorage: {}, sessionStorage: {}, documentCookie: '', cookies: [], indexedDB: [], cacheStorage: [] });
    await page.evaluate(async () => {
      const { localStorage, sessionStorage, document, indexedDB, caches } = globalThis as any;
      localStorage.setItem('l', 'in-local');
      sessionStorage.setItem('s', 'in-session');
      document.cookie = 'c=in-cookie';
      await new Promise((resolve, reject) => {
        const opening = indexedDB.open('in-indexeddb');
        opening.onsuccess = () => resolve(opening.result.close());
        opening.onerror = reject;
      });
      await caches.open('in-cache');
    });
    const text = JSON.stringify(await storageDump(page));
    for (const value of ['in-local', 'in-session', 'in-cookie', 'in-indexeddb', 'in-cache']) expect(text).toContain(value);

    await page.getByLabel('Bearer token').fill('typed-not-yet-submitted');
    await page.evaluate(() => ((globalThis as any).location.hash = '#in-the-address'));
    const dom = await pageText(page);
    expect(dom).toContain('token=typed-not-yet-submitted');
    expect(dom).toContain('#in-the-address');
    expect(dom).toContain('<h1 tabindex="-1">Sign in</h1>');
    await page.close();
  });

  it('read what the page put on the clipboard', async () => {
    const page = await signInPage();
    await page.evaluate(() => (globalThis as any).navigator.clipboard.writeText('copied by the page'));
    expect(await readClipboard(page)).toBe('copied by the page');
    await page.close();
  });
});
