import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchBrowser, pageProblems, pageText, readClipboard, runAxe, storageDump } from '../support/browser';
import { type ConsoleServer, startConsoleServer } from '../support/console-server';

// The Keys page as a user drives it, in a real Chromium against a real server on a real
// SQLite file: generating a key (its secret shown once, then gone), watching a
// verification show up as "Last used", the whole lifecycle from the row menu, and what
// the page says when the API refuses (a field error, a concurrent change).

let server: ConsoleServer;
let browser: ConsoleBrowser;
let page: Page;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(`${server.url}/`);
  await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const table = () => page.getByRole('table', { name: 'API keys' });
const rowWith = (text: string) => table().getByRole('row').filter({ hasText: text });
const dialog = () => page.getByRole('dialog');

/** Generates a key through the dialog and gives its secret, the dialog closed. */
async function generate(name: string): Promise<string> {
  await page.getByRole('button', { name: 'Generate New API Key' }).click();
  await dialog().getByLabel('Name').fill(name);
  await dialog().getByRole('button', { name: 'Generate key' }).click();
  const secret = await dialog().getByLabel('Secret').inputValue();
  await dialog()
    .getByRole('checkbox', { name: /I have stored this key/ })
    .check();
  await dialog().getByRole('button', { name: 'Done' }).click();
  await expect.poll(() => dialog().count()).toBe(0);
  return secret;
}

async function chooseFromMenu(row: Locator, item: string): Promise<void> {
  await row.getByRole('button', { name: /^Actions for / }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

const statusOf = async (row: Locator) => (await row.locator('td').nth(5).innerText()).trim();

describe('generating a key', () => {
  let secret: string;

  it('shows the secret once, copies it, closes only once stored, then lists the key masked', async () => {
    const opener = page.getByRole('button', { name: 'Generate New API Key' });
    await opener.click();
    await expect.poll(() => dialog().getByRole('heading', { name: 'Generate New API Key' }).isVisible()).toBe(true);
    // The dialog opens on its first field.
    expect(
      await dialog()
        .getByLabel('Name')
        .evaluate((element) => element === element.ownerDocument.activeElement),
    ).toBe(true);
    await dialog().getByLabel('Name').fill('Billing worker');
    await dialog().getByRole('button', { name: 'Generate key' }).click();

    const secretField = dialog().getByLabel('Secret');
    await secretField.waitFor();
    secret = await secretField.inputValue();
    expect(secret).toMatch(/^ak_live_/);
    await expect.poll(() => dialog().getByText('It is shown only once').isVisible()).toBe(true);

    // Not closable before the user confirms: Escape does nothing (however often: Chrome lets a
    // page refuse it only once between user actions), Done is disabled.
    for (let i = 0; i < 3; i++) await page.keyboard.press('Escape');
    expect(await dialog().isVisible()).toBe(true);
    expect(await dialog().getByLabel('Secret').inputValue()).toBe(secret);

    // Leaving the page with the secret unconfirmed asks first; staying keeps it on screen.
    const asked = page.waitForEvent('dialog');
    await page.evaluate(() => {
      window.location.hash = '#/projects/demo/audit';
    });
    const question = await asked;
    expect(question.message()).toContain('shown only once');
    await question.dismiss();
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/projects/demo/keys');
    expect(await dialog().getByLabel('Secret').inputValue()).toBe(secret);
    expect(await dialog().getByRole('button', { name: 'Done' }).isDisabled()).toBe(true);

    await dialog().getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => dialog().getByText('Copied to the clipboard.').isVisible()).toBe(true);
    expect(await readClipboard(page)).toBe(secret);

    await dialog()
      .getByRole('checkbox', { name: /I have stored this key/ })
      .check();
    await dialog().getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => dialog().count()).toBe(0);
    // Focus goes back to where the user was.
    expect(await opener.evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);

    const row = rowWith('Billing worker');
    await row.waitFor();
    const masked = (await row.locator('code').innerText()).trim();
    expect(masked).toMatch(/^ak_live_\w{4}…\w{4}$/);
    expect(secret.startsWith(masked.slice(0, 12))).toBe(true);
    expect(await statusOf(row)).toContain('Active');

    // Gone from the page with the dialog, and never kept in the browser.
    expect(await pageText(page)).not.toContain(secret);
    expect(JSON.stringify(await storageDump(page))).not.toContain(secret);
    expect(pageProblems(page)).toEqual([]);
  });

  it('shows "Last used" change once the secret is verified through the API', async () => {
    const lastUsed = rowWith('Billing worker').locator('td.last-used');
    expect((await lastUsed.innerText()).trim()).toBe('Never');
    expect((await server.verify(secret)).code).toBe('VALID');
    // The list reloads every few seconds while the tab is visible.
    await expect.poll(async () => (await lastUsed.innerText()).trim(), { timeout: 15_000 }).toBe('just now');
  });
});

describe('a secret on screen', () => {
  it('survives Back with "stay", which leaves the history as it was', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
    await page.getByRole('button', { name: 'Generate New API Key' }).click();
    await dialog().getByLabel('Name').fill('Kept through Back');
    await dialog().getByRole('button', { name: 'Generate key' }).click();
    const secret = await dialog().getByLabel('Secret').inputValue();

    const asked = page.waitForEvent('dialog');
    await page.evaluate(() => history.back());
    const question = await asked;
    expect(question.message()).toContain('shown only once');
    await question.dismiss();
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => window.location.hash)).toBe('#/projects/demo/keys');
    expect(await dialog().getByLabel('Secret').inputValue()).toBe(secret);

    await dialog()
      .getByRole('checkbox', { name: /I have stored this key/ })
      .check();
    await dialog().getByRole('button', { name: 'Done' }).click();
    // Back now goes where it would have: the audit log, one step back.
    await page.evaluate(() => history.back());
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await page.evaluate(() => history.forward());
    await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
  });

  it('cannot be lost by cancelling while the key is being generated', async () => {
    // The answer is held back a moment, as on a slow network.
    await page.route('**/graphql', async (route) => {
      if (route.request().method() === 'POST' && route.request().postData()?.includes('GenerateKey')) await new Promise((resolve) => setTimeout(resolve, 800));
      await route.continue();
    });
    try {
      await page.getByRole('button', { name: 'Generate New API Key' }).click();
      await dialog().getByLabel('Name').fill('Slow network key');
      await dialog().getByRole('button', { name: 'Generate key' }).click();
      await page.keyboard.press('Escape');
      // Marked disabled while the request runs; a click on it (forced: Playwright respects aria-disabled) does nothing.
      await dialog().getByRole('button', { name: 'Cancel' }).click({ force: true });
      const secret = await dialog().getByLabel('Secret').inputValue();
      expect(secret).toMatch(/^ak_live_/);
      await dialog()
        .getByRole('checkbox', { name: /I have stored this key/ })
        .check();
      await dialog().getByRole('button', { name: 'Done' }).click();
    } finally {
      await page.unroute('**/graphql');
    }
  });
});

describe('the lifecycle from the row menu', () => {
  it('deactivates, reactivates, rolls with a grace period and deletes with a typed confirmation', async () => {
    const secret = await generate('Search indexer');
    const row = rowWith('Search indexer');
    await row.waitFor();
    const masked = (await row.locator('code').innerText()).trim();
    const original = () => rowWith(masked);

    await chooseFromMenu(original(), 'Deactivate');
    await dialog().getByLabel('Reason (optional)').fill('suspected leak');
    await dialog().getByRole('button', { name: 'Deactivate' }).click();
    await expect.poll(() => statusOf(original())).toContain('Inactive');
    expect(await original().innerText()).toContain('suspected leak');
    expect((await server.verify(secret)).code).toBe('INACTIVE');

    await chooseFromMenu(original(), 'Reactivate');
    await dialog().getByRole('button', { name: 'Reactivate' }).click();
    await expect.poll(() => statusOf(original())).toContain('Active');
    expect((await server.verify(secret)).code).toBe('VALID');

    await chooseFromMenu(original(), 'Roll');
    await dialog().getByRole('radio', { name: '1 hour' }).check();
    await dialog().getByRole('button', { name: 'Roll key' }).click();
    const successorSecret = await dialog().getByLabel('Secret').inputValue();
    expect(successorSecret).not.toBe(secret);
    await dialog()
      .getByRole('checkbox', { name: /I have stored this key/ })
      .check();
    await dialog().getByRole('button', { name: 'Done' }).click();
    // Both listed: the old one now expires in an hour, and both verify during the grace period.
    await expect.poll(() => rowWith('Search indexer').count()).toBe(2);
    expect(await original().locator('.flag').allInnerTexts()).toEqual([expect.stringContaining('Rolled')]);
    expect(await original().locator('td').nth(4).innerText()).toMatch(/in (60 minutes|1 hour)/);
    expect((await server.verify(secret)).code).toBe('VALID');
    expect((await server.verify(successorSecret)).code).toBe('VALID');
    expect(await pageText(page)).not.toContain(successorSecret);

    await chooseFromMenu(original(), 'Delete');
    await expect.poll(() => dialog().getByText('This is permanent.').isVisible()).toBe(true);
    const confirm = dialog().getByRole('button', { name: 'Delete key' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog().getByLabel('Type the key name to confirm').fill('Search indexe');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog().getByLabel('Type the key name to confirm').fill('Search indexer');
    await confirm.click();
    await expect.poll(() => original().count()).toBe(0);
    // The row and the menu button focus would return to are gone: focus is on the page's heading, not lost.
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    expect((await server.verify(secret)).code).toBe('DELETED');
    expect((await server.verify(successorSecret)).code).toBe('VALID');

    // Still there for whoever asks for deleted keys.
    await page.getByLabel('Status').selectOption('DELETED');
    await expect.poll(() => original().count()).toBe(1);
    expect(await statusOf(original())).toContain('Deleted');
    await page.getByLabel('Status').selectOption('');
    expect(pageProblems(page)).toEqual([]);
  });
});

describe('when the API refuses', () => {
  it('shows a validation error at its field and writes nothing', async () => {
    const before = await table().getByRole('row').count();
    await page.getByRole('button', { name: 'Generate New API Key' }).click();
    await dialog().getByLabel('Name').fill('   ');
    await dialog().getByLabel('Environment').fill('Prod Env');
    await dialog().getByRole('button', { name: 'Generate key' }).click();

    const name = dialog().getByLabel('Name');
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    const nameError = await name.evaluate((input) => input.ownerDocument.getElementById(input.getAttribute('aria-describedby')!.split(' ').at(-1)!)?.textContent);
    expect(nameError).toMatch(/name/i);
    expect(await dialog().getByLabel('Environment').getAttribute('aria-invalid')).toBe('true');
    expect(await dialog().getByLabel('Secret').count()).toBe(0);

    // "On a date…" without a date is asked for, not taken as "never".
    await dialog().getByLabel('Name').fill('Dated key');
    await dialog().getByLabel('Environment').fill('live');
    await dialog().getByLabel('Expires').selectOption('date');
    await dialog().getByRole('button', { name: 'Generate key' }).click();
    await expect.poll(() => dialog().getByLabel('Expiry date').getAttribute('aria-invalid')).toBe('true');
    expect(
      await dialog()
        .getByLabel('Expiry date')
        .evaluate((element) => element === element.ownerDocument.activeElement),
    ).toBe(true);

    await dialog().getByRole('button', { name: 'Cancel' }).click();
    expect(await table().getByRole('row').count()).toBe(before);
    const listed = await server.gql<{ project: { apiKeys: { edges: unknown[] } } }>('{ project(id: "demo") { apiKeys(first: 100) { edges { cursor } } } }');
    expect(listed.data!.project.apiKeys.edges).toHaveLength(before - 1);
  });

  it('says so in the dialog when another client changed the key meanwhile, and refreshes the row', async () => {
    await generate('Report exporter');
    const row = rowWith('Report exporter');
    await row.waitFor();
    const keyId = await row.getAttribute('data-key-id');

    await chooseFromMenu(row, 'Deactivate');
    // While the dialog is open, another client deactivates the key and reactivates it:
    // the key is active again, but not the key the user looked at.
    for (const change of ['deactivateApiKey', 'reactivateApiKey']) {
      const other = await server.gql(`mutation ($id: ID!) { ${change}(input: { id: $id, reason: "from elsewhere" }) { __typename } }`, { id: keyId });
      expect(JSON.stringify(other.data)).toContain('Payload');
    }

    await dialog().getByLabel('Reason (optional)').fill('rotating staff');
    await dialog().getByRole('button', { name: 'Deactivate' }).click();
    const alert = dialog().getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/changed by another request/i);
    // Nothing was written, and the row behind the dialog shows the key as it now is.
    await expect.poll(() => rowWith('Report exporter').innerText()).toContain('from elsewhere');
    expect(await statusOf(rowWith('Report exporter'))).toContain('Active');
    const history = await server.gql<{ apiKey: { version: number; statusReason: string } }>('query ($id: ID!) { apiKey(id: $id) { version statusReason } }', { id: keyId });
    expect(history.data!.apiKey).toEqual({ version: 3, statusReason: 'from elsewhere' });

    // Trying again acts on the key as it now is, and succeeds.
    await dialog().getByRole('button', { name: 'Deactivate' }).click();
    await expect.poll(() => dialog().count()).toBe(0);
    await expect.poll(() => statusOf(rowWith('Report exporter'))).toContain('Inactive');
    expect(await rowWith('Report exporter').innerText()).toContain('rotating staff');
    // Focus is back on the menu button the dialog was opened from.
    const menuButton = rowWith('Report exporter').getByRole('button', { name: /^Actions for / });
    expect(await menuButton.evaluate((element) => element === element.ownerDocument.activeElement)).toBe(true);
  });
});

describe('accessibility', () => {
  for (const width of [390, 1280]) {
    it(`finds no serious or critical axe violation on the keys page, its menu and dialogs at ${width} px`, async () => {
      const narrow = await browser.newPage({ width, height: 900 });
      try {
        await narrow.goto(`${server.url}/`);
        await narrow.getByRole('table', { name: 'API keys' }).waitFor();
        expect(await runAxe(narrow)).toEqual([]);

        await narrow
          .getByRole('button', { name: /^Actions for / })
          .first()
          .click();
        await narrow.getByRole('menu').waitFor();
        expect(await runAxe(narrow)).toEqual([]);
        await narrow.keyboard.press('Escape');

        await narrow.getByRole('button', { name: 'Generate New API Key' }).click();
        expect(await runAxe(narrow)).toEqual([]);
        await narrow.getByRole('dialog').getByLabel('Name').fill(`Axe ${width}`);
        await narrow.getByRole('dialog').getByRole('button', { name: 'Generate key' }).click();
        await narrow.getByRole('dialog').getByLabel('Secret').waitFor();
        expect(await runAxe(narrow)).toEqual([]);
        expect(pageProblems(narrow)).toEqual([]);
      } finally {
        await narrow.close();
      }
    });
  }
});
