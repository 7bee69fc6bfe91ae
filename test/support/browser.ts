import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

// The console's browser tests drive the system's Chromium (Debian's chromium package)
// through playwright-core, which downloads no browser of its own. Each launch gets a
// fresh user-data directory, so no test sees another's storage, cache or permissions.
// The helpers inspect a page from outside it (the DevTools protocol), which the
// console's Content-Security-Policy does not apply to: nothing is added to the page
// that its own policy would refuse.

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/**
 * A name that is not loopback but reaches this machine (the browser resolves it to
 * 127.0.0.1): a page loaded under it is what DNS rebinding would make of the console,
 * and must not be handed the development token.
 */
export const NON_LOOPBACK_HOST = 'console.rebound.example';

export interface Viewport {
  width: number;
  height: number;
}

export interface ConsoleBrowser {
  context: BrowserContext;
  /** A new tab, 1280 × 800 unless told; what goes wrong in it is recorded (see pageProblems). */
  newPage(viewport?: Viewport): Promise<Page>;
  close(): Promise<void>;
}

function executable(name: string): string | null {
  try {
    accessSync(name, constants.X_OK);
    return name;
  } catch {
    return null;
  }
}

/** CHROMIUM_PATH, else chromium (or chromium-browser) on the PATH. */
export function chromiumPath(): string | null {
  if (process.env.CHROMIUM_PATH) return executable(process.env.CHROMIUM_PATH);
  for (const dir of (process.env.PATH ?? '/usr/bin').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const found = dir && executable(join(dir, name));
      if (found) return found;
    }
  }
  return null;
}

export async function launchBrowser(): Promise<ConsoleBrowser> {
  const executablePath = chromiumPath();
  // A failure, not a skip: without a browser the console would go untested while the suite passed.
  if (!executablePath)
    throw new Error(
      `Chromium was not found (${process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not executable` : 'no chromium on the PATH'}); the console's browser tests need it: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  const userDataDir = mkdtempSync(join(tmpdir(), 'console-browser-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...ARGS, `--host-resolver-rules=MAP ${NON_LOOPBACK_HOST} 127.0.0.1`],
      viewport: { width: 1280, height: 800 },
      // So a Copy button works without a person to allow it.
      permissions: ['clipboard-read', 'clipboard-write'],
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async newPage(viewport = { width: 1280, height: 800 }) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      await recordProblems(page);
      return page;
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

const problems = new WeakMap<Page, string[]>();

/**
 * What went wrong in the page so far: errors it logged (a failed request included),
 * exceptions it did not catch, and every Content-Security-Policy violation (reported by
 * the browser's securitypolicyviolation event, whether or not it also logs one).
 */
export function pageProblems(page: Page): string[] {
  const found = problems.get(page);
  if (!found) throw new Error('pageProblems: open the page with newPage() of launchBrowser()');
  return [...found];
}

async function recordProblems(page: Page): Promise<void> {
  const found: string[] = [];
  problems.set(page, found);
  page.on('console', (message) => {
    if (message.type() === 'error') found.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => found.push(`uncaught: ${error.message}`));
  await page.exposeBinding('__reportCspViolation', (_source, text: string) => void found.push(`CSP violation: ${text}`));
  await page.addInitScript(() => {
    const page = globalThis as any;
    page.document.addEventListener('securitypolicyviolation', (event: any) => {
      page.__reportCspViolation(`${event.effectiveDirective} refused ${event.blockedURI || 'inline code'} (${event.sourceFile || 'the page'}:${event.lineNumber})`);
    });
  });
}

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  /** CSS selectors of the offending elements. */
  targets: string[];
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (WCAG 2 A and AA rules and axe's best practices). */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  const violations: AxeViolation[] = await page.evaluate(async () => {
    const page = globalThis as any;
    const result = await page.axe.run(page.document, { resultTypes: ['violations'] });
    return result.violations.map((violation: any) => ({
      id: violation.id,
      impact: violation.impact ?? 'unknown',
      help: violation.help,
      targets: violation.nodes.map((node: any) => node.target.join(' ')),
    }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

export interface StorageDump {
  localStorage: Record<string, string>;
  sessionStorage: Record<string, string>;
  /** document.cookie as the page sees it. */
  documentCookie: string;
  /** Every cookie the browser holds for any site, HttpOnly ones included: name=value. */
  cookies: string[];
  indexedDB: string[];
  cacheStorage: string[];
}

/** Everything the page's origin keeps in the browser, for "the secret is nowhere in storage" checks. */
export async function storageDump(page: Page): Promise<StorageDump> {
  const inPage = await page.evaluate(async () => {
    const page = globalThis as any;
    const entries = (storage: any) => {
      const all: Record<string, string> = Object.create(null);
      for (let i = 0; i < storage.length; i++) all[storage.key(i)] = storage.getItem(storage.key(i));
      return { ...all };
    };
    return {
      localStorage: entries(page.localStorage),
      sessionStorage: entries(page.sessionStorage),
      documentCookie: String(page.document.cookie),
      indexedDB: ((await page.indexedDB.databases?.()) ?? []).map((database: any) => String(database.name)),
      cacheStorage: page.caches ? await page.caches.keys() : [],
    };
  });
  const cookies = (await page.context().cookies()).map((cookie) => `${cookie.name}=${cookie.value}`);
  return { ...inPage, cookies };
}

/** The whole DOM as HTML, with the current value of every field (not in the HTML once typed) and the address. */
export async function pageText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const page = globalThis as any;
    const values = [...page.document.querySelectorAll('input, textarea, select')].map((field: any) => `${field.id || field.name || field.tagName}=${field.value}`);
    return [page.location.href, page.document.documentElement.outerHTML, ...values].join('\n');
  });
}

/** The clipboard's text (what a Copy button put there). */
export async function readClipboard(page: Page): Promise<string> {
  await page.bringToFront();
  return page.evaluate(() => (globalThis as any).navigator.clipboard.readText());
}
