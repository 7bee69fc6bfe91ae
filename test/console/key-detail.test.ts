import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchBrowser, pageProblems, runAxe } from '../support/browser';
import { type ConsoleServer, startConsoleServer } from '../support/console-server';

// A key's own page: what happened to it (history), how it was used (the chart's totals,
// from the usage log), where it sits in a rotation, and the key as it was at a moment.

let server: ConsoleServer;
let browser: ConsoleBrowser;
let keyId: string;
let successorId: string;
let whileInactive: string;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  const generated = await server.gql(
    'mutation { generateApiKey(input: { projectId: "demo", name: "Ledger sync", environment: "live" }) { ... on GenerateApiKeyPayload { keyId secret } } }',
  );
  ({ keyId } = generated.data.generateApiKey);
  const { secret } = generated.data.generateApiKey;
  for (let i = 0; i < 3; i++) expect((await server.verify(secret)).code).toBe('VALID');
  await server.gql('mutation ($id: ID!) { deactivateApiKey(input: { id: $id, reason: "audit finding 7" }) { __typename } }', { id: keyId });
  expect((await server.verify(secret)).code).toBe('INACTIVE');
  // A moment while it was inactive (whole seconds apart: the page's field takes seconds), to travel back to.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  whileInactive = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await server.gql('mutation ($id: ID!) { reactivateApiKey(input: { id: $id }) { __typename } }', { id: keyId });
  const rolled = await server.gql('mutation ($id: ID!) { rollApiKey(input: { id: $id, gracePeriodSeconds: 3600 }) { ... on RollApiKeyPayload { keyId } } }', { id: keyId });
  successorId = rolled.data.rollApiKey.keyId;
  await server.flushUsage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const detailUrl = (id: string) => `${server.url}/#/projects/demo/keys/${encodeURIComponent(id)}`;

async function openDetail(page: Page, id: string): Promise<void> {
  await page.goto(detailUrl(id));
  await page.getByRole('region', { name: 'History' }).getByRole('listitem').first().waitFor();
}

describe('the key detail page', () => {
  it('is reached from the keys table and shows the history, with who, when and why', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await page.getByRole('table', { name: 'API keys' }).getByRole('row').filter({ hasText: 'Ledger sync' }).first().waitFor();
    await page.getByRole('link', { name: 'Ledger sync' }).last().click();
    await page.getByRole('heading', { level: 1, name: 'Ledger sync' }).waitFor();
    const history = page.getByRole('region', { name: 'History' });
    await history.getByRole('listitem').first().waitFor();
    const text = await history.innerText();
    for (const type of ['Rolled', 'Reactivated', 'Deactivated', 'Generated']) expect(text).toContain(type);
    expect(text).toContain('audit finding 7');
    expect(text).toContain('by tester');
    // Newest first.
    expect(text.indexOf('Rolled')).toBeLessThan(text.indexOf('Generated'));
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  it("shows another client's change in the history without a reload", async () => {
    const page = await browser.newPage();
    const { data } = await server.gql(
      'mutation { generateApiKey(input: { projectId: "demo", name: "Watched key", environment: "test" }) { ... on GenerateApiKeyPayload { keyId } } }',
    );
    const watched = data.generateApiKey.keyId as string;
    await openDetail(page, watched);
    const history = page.getByRole('region', { name: 'History' });
    await server.gql('mutation ($id: ID!) { deactivateApiKey(input: { id: $id, reason: "changed elsewhere" }) { __typename } }', { id: watched });
    // The page asks again every 15 s, and at once when its tab becomes visible again.
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await expect.poll(() => history.innerText()).toContain('changed elsewhere');
    await page.close();
  });

  it('keeps its chart when the usage is refreshed (new data, same chart)', async () => {
    // A key of its own: the other tests count Ledger sync's verifications.
    const { data } = await server.gql(
      'mutation { generateApiKey(input: { projectId: "demo", name: "Charted key", environment: "live" }) { ... on GenerateApiKeyPayload { keyId secret } } }',
    );
    const { keyId: charted, secret } = data.generateApiKey as { keyId: string; secret: string };
    expect((await server.verify(secret)).code).toBe('VALID');
    await server.flushUsage();
    const page = await browser.newPage();
    await openDetail(page, charted);
    const usage = page.getByRole('region', { name: 'Usage' });
    const totals = usage.locator('.usage-totals');
    const total = async () => Number(/^(\d+) verifications?:/.exec((await totals.innerText()).trim())?.[1]);
    await totals.waitFor();
    const before = await total();
    expect(before).toBe(1);
    await usage.locator('canvas').evaluate((canvas) => canvas.setAttribute('data-first', 'yes'));
    expect((await server.verify(secret)).code).toBe('VALID');
    await server.flushUsage();
    await usage.getByRole('button', { name: 'Refresh usage' }).click();
    await expect.poll(total, { timeout: 5_000 }).toBe(before + 1);
    expect(await usage.locator('canvas[data-first="yes"]').count()).toBe(1);
    await page.close();
  });

  it('counts the verifications in its usage section, accepted and refused', async () => {
    const page = await browser.newPage();
    await openDetail(page, keyId);
    const usage = page.getByRole('region', { name: 'Usage' });
    await expect.poll(async () => (await usage.locator('.usage-totals').innerText()).trim()).toBe('4 verifications: 3 accepted, 1 refused.');
    expect(await usage.getByRole('img', { name: /^Chart of verifications/ }).count()).toBe(1);
    await page.close();
  });

  it('links the rolled key and its successor both ways', async () => {
    const page = await browser.newPage();
    await openDetail(page, keyId);
    const rotation = page.getByRole('region', { name: 'Rotation' });
    await rotation.getByRole('link', { name: /^Ledger sync/ }).click();
    await expect.poll(() => page.url()).toContain(encodeURIComponent(successorId));
    await page.getByRole('region', { name: 'Rotation' }).getByText('Replaces').waitFor();
    await page
      .getByRole('region', { name: 'Rotation' })
      .getByRole('link', { name: /^Ledger sync/ })
      .click();
    await expect.poll(() => page.url()).toContain(encodeURIComponent(keyId));
    await page.close();
  });

  it('shows the key as it was at a chosen moment', async () => {
    const page = await browser.newPage();
    await openDetail(page, keyId);
    const asOf = page.getByRole('region', { name: 'As it was' });
    // datetime-local takes the reader's wall time: convert in the page's own time zone.
    const local = await page.evaluate((iso) => {
      const at = new Date(iso);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
    }, whileInactive);
    await asOf.getByLabel('Show the key as of').fill(local);
    await asOf.getByRole('button', { name: 'Show' }).click();
    await asOf.locator('.as-of-result').waitFor();
    // Then, unlike now, inactive for the reason given; and not yet rolled (version 2 of 4).
    const then = await asOf.locator('.as-of-result').innerText();
    expect(then).toContain('Inactive');
    expect(then).toContain('audit finding 7');
    expect(then).toMatch(/Version\s*2\b/);

    await asOf.getByLabel('Show the key as of').fill('2020-01-01T00:00:00');
    await asOf.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => asOf.innerText()).toContain('The key did not exist yet at that time.');
    await page.close();
  });

  it('says so when the key does not exist', async () => {
    const page = await browser.newPage();
    await page.goto(detailUrl('QXBpS2V5Om5vcGU'));
    await page.getByRole('heading', { level: 1, name: 'No such key in this project' }).waitFor();
    expect(await page.getByRole('link', { name: /all keys/i }).count()).toBeGreaterThan(0);
    await page.close();
  });

  for (const width of [390, 1280]) {
    it(`has no serious or critical axe violation at ${width} px`, async () => {
      const page = await browser.newPage({ width, height: 900 });
      await openDetail(page, keyId);
      await page.getByRole('region', { name: 'Usage' }).locator('.usage-totals').waitFor();
      expect(await runAxe(page)).toEqual([]);
      expect(pageProblems(page)).toEqual([]);
      await page.close();
    });
  }
});
