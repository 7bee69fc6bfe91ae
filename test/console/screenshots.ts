// Takes the README's screenshots of the console (docs/screenshots/*.png) from a real
// server on a fresh database, seeded with a few keys and some traffic: `npm run screenshots`.
// Not a test (vitest runs *.test.ts only); the browser tests check the same views.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/build.mjs';
import { type ConsoleBrowser, launchBrowser } from '../support/browser';
import { startConsoleServer } from '../support/console-server';

const OUT = join(ROOT, 'docs', 'screenshots');
const WIDTH = 1280;

const server = await startConsoleServer({ actor: 'alice@example.com' });
let browser: ConsoleBrowser | undefined;
try {
  browser = await launchBrowser();
  const generate = async (name: string, environment: string, expiresInDays?: number) => {
    const expiresAt = expiresInDays ? new Date(Date.now() + expiresInDays * 86_400_000).toISOString() : undefined;
    const body = await server.gql('mutation ($input: GenerateApiKeyInput!) { generateApiKey(input: $input) { ... on GenerateApiKeyPayload { keyId secret } } }', {
      input: { projectId: 'demo', name, environment, expiresAt },
    });
    return body.data.generateApiKey as { keyId: string; secret: string };
  };
  const change = (mutation: string, input: Record<string, unknown>) =>
    server.gql(`mutation ($input: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { __typename } }`, { input });

  const checkout = await generate('Checkout service', 'live', 90);
  const billing = await generate('Billing worker', 'live');
  await generate('CI integration tests', 'test', 30);
  const partner = await generate('Partner webhook relay', 'live', 365);
  await generate('Staging smoke tests', 'staging');
  for (let i = 0; i < 40; i++) await server.verify(checkout.secret);
  for (let i = 0; i < 12; i++) await server.verify(billing.secret);
  await change('deactivateApiKey', { id: partner.keyId, reason: 'Partner contract paused' });
  for (let i = 0; i < 5; i++) await server.verify(partner.secret);
  await change('rollApiKey', { id: checkout.keyId, gracePeriodSeconds: 86_400, reason: 'Quarterly rotation' });
  for (let i = 0; i < 9; i++) await server.verify(checkout.secret);
  await server.flushUsage();

  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ width: WIDTH, height: 720 });
  await page.goto(`${server.url}/`);
  await page.getByRole('table', { name: 'API keys' }).getByRole('row').nth(5).waitFor();
  await page.screenshot({ path: join(OUT, 'keys.png') });

  await page.getByRole('button', { name: 'Generate New API Key' }).click();
  await page.getByRole('dialog').getByLabel('Name').fill('Mobile app backend');
  await page.getByRole('dialog').getByRole('button', { name: 'Generate key' }).click();
  await page.getByRole('dialog').getByLabel('Secret').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Copy' }).click();
  await page.getByRole('dialog').getByText('Copied to the clipboard.').waitFor();
  await page.screenshot({ path: join(OUT, 'generate-secret.png') });
  await page.getByRole('dialog').getByRole('checkbox').check();
  await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();

  await page.setViewportSize({ width: WIDTH, height: 1100 });
  await page.goto(`${server.url}/#/projects/demo/keys/${encodeURIComponent(checkout.keyId)}`);
  await page.getByRole('region', { name: 'Usage' }).locator('.usage-totals').waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, 'key-detail.png') });

  await page.setViewportSize({ width: WIDTH, height: 800 });
  await page.goto(`${server.url}/#/projects/demo/audit`);
  await page.getByRole('table', { name: 'Audit events' }).getByRole('row').nth(3).waitFor();
  // One change from another client while the page is open: it arrives live.
  await change('deactivateApiKey', { id: billing.keyId, reason: 'Replaced by the new billing pipeline' });
  await page.getByRole('table', { name: 'Audit events' }).getByText('Replaced by the new billing pipeline').waitFor();
  await page.screenshot({ path: join(OUT, 'audit-log.png') });
  console.log(`Screenshots written to ${OUT}`);
} finally {
  await browser?.close();
  await server.close();
}
