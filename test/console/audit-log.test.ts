import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchBrowser, pageProblems, runAxe } from '../support/browser';
import { type ConsoleServer, startConsoleServer } from '../support/console-server';

// The audit log page: what happened to the project's keys, filtered, with changes made by
// other clients appearing live (the auditEvents subscription over server-sent events),
// and the log's integrity for an operator.

let server: ConsoleServer;
let browser: ConsoleBrowser;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  for (const name of ['Orders API', 'Inventory sync']) {
    await server.gql('mutation ($name: String!) { generateApiKey(input: { projectId: "demo", name: $name, environment: "live" }) { __typename } }', { name });
  }
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const events = (page: Page) => page.getByRole('table', { name: 'Audit events' });

async function openAudit(page: Page): Promise<void> {
  await page.goto(`${server.url}/#/projects/demo/audit`);
  await events(page).getByRole('row').nth(2).waitFor();
}

describe('the audit log page', () => {
  it('shows an event made by another client live, without a reload', async () => {
    const page = await browser.newPage();
    await openAudit(page);
    await expect.poll(() => page.locator('.live-status').innerText()).toContain('Live');
    const loaded = page.url();
    const before = await events(page).getByRole('row').count();
    // Past the page's one re-read after subscribing (1.5 s) and well before its periodic one
    // (20 s): what arrives now, within the wait below, came through the subscription.
    await page.waitForTimeout(2000);

    // Another client (the server's own token, not the page's) changes a key.
    await server.gql('mutation { generateApiKey(input: { projectId: "demo", name: "Made elsewhere", environment: "test" }) { __typename } }');
    const row = events(page).getByRole('row').filter({ hasText: 'Made elsewhere' });
    await row.waitFor({ timeout: 5000 });
    expect(await row.innerText()).toContain('New');
    expect(await row.innerText()).toContain('tester');
    // On top, and nothing reloaded the page.
    expect(await events(page).getByRole('row').nth(1).innerText()).toContain('Made elsewhere');
    expect(await events(page).getByRole('row').count()).toBe(before + 1);
    expect(page.url()).toBe(loaded);
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  it('filters by event type and shows a bad filter at its field', async () => {
    const page = await browser.newPage();
    await openAudit(page);
    await page.getByLabel('Event type').selectOption({ label: 'Key deactivated' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.getByText('No events match.').isVisible()).toBe(true);

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Key id').fill('not-a-key-id');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/key id/i);
    expect(await page.getByLabel('Key id').getAttribute('aria-invalid')).toBe('true');
    await page.close();
  });

  it('says that checking integrity needs the operator permission, and shows the check to an operator', async () => {
    const page = await browser.newPage();
    await openAudit(page);
    const integrity = page.getByRole('region', { name: 'Log integrity' });
    await expect.poll(() => integrity.innerText()).toContain('operator permission');
    await page.close();

    const operator = await server.tokenFor('auditor', { '*': ['operator', 'audit:read', 'keys:read'] });
    const signedIn = await browser.newPage();
    await signedIn.addInitScript((token) => sessionStorage.setItem('api-keys-console.token', token), operator);
    await openAudit(signedIn);
    const check = signedIn.getByRole('region', { name: 'Log integrity' });
    await expect.poll(() => check.innerText()).toMatch(/Intact: \d+ events checked/);
    await signedIn.close();
  });

  it('opens on the audit log for a token that may read it but not the keys', async () => {
    const auditor = await server.tokenFor('auditor', { demo: ['audit:read'] });
    const page = await browser.newPage();
    await page.addInitScript((token) => sessionStorage.setItem('api-keys-console.token', token), auditor);
    await page.goto(`${server.url}/`);
    await page.waitForURL(`${server.url}/#/projects/demo/audit`);
    await events(page).getByRole('row').nth(2).waitFor();
    await page.close();
  });

  for (const width of [390, 1280]) {
    it(`has no serious or critical axe violation at ${width} px`, async () => {
      const page = await browser.newPage({ width, height: 900 });
      await openAudit(page);
      await expect.poll(() => page.locator('.live-status').innerText()).toContain('Live');
      expect(await runAxe(page)).toEqual([]);
      expect(pageProblems(page)).toEqual([]);
      await page.close();
    });
  }
});
