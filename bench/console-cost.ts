// The console's weight and first load: what a browser downloads (raw and gzip, as the
// service sends it) and how long a cold load takes to show the keys table, against the
// floor of loading a tiny JSON answer (console/config) from the same server in the same
// browser. BENCH_ONLY=console runs this section alone.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, ROOT } from '../scripts/build.mjs';
import { type ConsoleBrowser, launchBrowser } from '../test/support/browser';
import { CONSOLE_DIR, startConsoleServer } from '../test/support/console-server';
import { fmt, log, machineLine } from './bench-process';

export const CONSOLE_SECTION_TITLE = 'Console bundle and first load';
const LOADS = 7;
const KEYS = 20;

export async function consoleCost(): Promise<string> {
  log('console: building dist/ (server and console)');
  const started = performance.now();
  await build(ROOT, { force: true, log: () => {} });
  const buildSeconds = (performance.now() - started) / 1000;

  const files = readdirSync(join(CONSOLE_DIR, 'assets')).map((name) => `assets/${name}`);
  files.unshift('index.html');
  const sizes = files.map((file) => {
    const body = readFileSync(join(CONSOLE_DIR, file));
    return { file, raw: statSync(join(CONSOLE_DIR, file)).size, gzip: gzipSync(body).length };
  });
  const total = sizes.reduce((sum, size) => ({ raw: sum.raw + size.raw, gzip: sum.gzip + size.gzip }), { raw: 0, gzip: 0 });

  log(`console: ${LOADS} cold loads in Chromium`);
  const server = await startConsoleServer();
  const page: number[] = [];
  const floor: number[] = [];
  let browser: ConsoleBrowser | undefined;
  try {
    browser = await launchBrowser();
    for (let i = 0; i < KEYS; i++) {
      await server.gql('mutation ($input: GenerateApiKeyInput!) { generateApiKey(input: $input) { __typename } }', {
        input: { projectId: 'demo', name: `Bench key ${i}`, environment: i % 2 ? 'live' : 'test' },
      });
    }
    for (let round = 0; round < LOADS; round++) {
      // A fresh page with the HTTP cache off: every load downloads everything again.
      const tab = await browser.newPage();
      const cdp = await tab.context().newCDPSession(tab);
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      let t = performance.now();
      await tab.goto(`${server.url}/console/config`);
      floor.push(performance.now() - t);
      t = performance.now();
      await tab.goto(`${server.url}/`);
      await tab.getByRole('table', { name: 'API keys' }).getByRole('row').nth(KEYS).waitFor();
      page.push(performance.now() - t);
      await tab.close();
    }
  } finally {
    await browser?.close();
    await server.close();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KB`;
  return `## ${CONSOLE_SECTION_TITLE}

Run: ${new Date().toISOString()} · ${machineLine()}
Built by \`npm run build\` (esbuild, minified; React 19, urql, graphql-sse, uPlot). Gzip as the service sends it (zlib default level). Cold load: a fresh tab with the HTTP cache disabled, from navigation until the keys table shows all ${KEYS} keys of the development token's project (page, script, styles, console/config, the viewer and keys queries), median of ${LOADS}; floor: the same tab loading the 60-byte console/config answer.

| file | raw | gzip |
|---|---:|---:|
${sizes.map((size) => `| \`${size.file.replace(/-[A-Z0-9]{8}\./, '-<hash>.')}\` | ${kb(size.raw)} | ${kb(size.gzip)} |`).join('\n')}
| **total** | **${kb(total.raw)}** | **${kb(total.gzip)}** |

| metric | console | floor | ratio |
|---|---:|---:|---:|
| cold load to the keys table (ms) | ${fmt(median(page))} | ${fmt(median(floor))} | ${fmt(median(page) / median(floor), 1)}× |

- Build of dist/ (server, CLIs and console): ${fmt(buildSeconds, 2)} s.
- Loads (ms): ${page.map((ms) => fmt(ms)).join(' / ')}; floor: ${floor.map((ms) => fmt(ms)).join(' / ')}.
`;
}
