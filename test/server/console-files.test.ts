import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR, type ConsoleServer, startConsoleServer } from '../support/console-server';
import { startTestServer } from '../support/test-server';

// How the service serves the API Keys console (src/server/console-files.ts), over real
// HTTP: the page and its assets under a policy that lets them run nothing but their own
// code, cached as long as their names say, and the development token handed only to a
// page of this origin loaded from this machine.

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  /** The address connected to (default 127.0.0.1); the server sees the connection come from the interface that has it. */
  address?: string;
}

/** One request with exactly these headers (Host included, which fetch would set itself); the body undecoded. */
function send(port: number, path: string, { method = 'GET', headers = {}, address = '127.0.0.1' }: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, method, headers, setHost: headers.host === undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const csp = (answer: Answer) => String(answer.headers['content-security-policy'] ?? '');
const directives = (answer: Answer) => csp(answer).split(/\s*;\s*/);

/** Every file of the built console: its URL path → its bytes. */
function builtFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(CONSOLE_DIR, { recursive: true }).map(String)) {
    const path = join(CONSOLE_DIR, name);
    try {
      files.set(`/${name.split('\\').join('/')}`, readFileSync(path));
    } catch {} // a folder
  }
  return files;
}

/** An IPv4 address of this machine other than loopback, if it has one: a connection to it does not come from 127.0.0.1. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;

describe('the console’s files', () => {
  let server: ConsoleServer;
  let page: Buffer;
  beforeAll(async () => {
    server = await startConsoleServer();
    page = readFileSync(join(CONSOLE_DIR, 'index.html'));
  });
  afterAll(() => server?.close());

  it('serves the page at / under a policy that allows its own scripts and styles only, and no framing', async () => {
    for (const path of ['/', '/index.html']) {
      const answer = await send(server.port, path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.body.equals(page), path).toBe(true);
      expect(directives(answer)).toEqual(expect.arrayContaining(["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]));
      expect(csp(answer)).not.toMatch(/unsafe-|\*|https?:/);
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      // The page names the current assets, so it is checked again on every load.
      expect(answer.headers['cache-control']).toBe('no-cache');
    }
  });

  it('holds nothing the policy would refuse: no inline script or style, nothing from another origin', () => {
    const html = page.toString('utf8');
    expect(html).toMatch(/<div id="root">/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\ssrc="assets\//);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
    const references = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);
    expect(references.filter((reference) => !reference.startsWith('assets/') && !reference.startsWith('data:'))).toEqual([]);
  });

  it('serves the assets the page names, each with its type, cached for good under its hashed name', async () => {
    const html = page.toString('utf8');
    const assets = [...html.matchAll(/\s(?:src|href)="(assets\/[^"]+)"/g)].map((match) => `/${match[1]}`);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);
    const types: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
    for (const asset of assets) {
      const answer = await send(server.port, asset);
      expect(answer.status, asset).toBe(200);
      expect(answer.headers['content-type'], asset).toBe(types[asset.slice(asset.lastIndexOf('.'))]);
      expect(answer.headers['cache-control'], asset).toBe('public, max-age=31536000, immutable');
      expect(answer.headers['x-content-type-options'], asset).toBe('nosniff');
      expect(csp(answer), asset).toContain("default-src 'none'");
      expect(answer.body.equals(readFileSync(join(CONSOLE_DIR, asset))), asset).toBe(true);
      // A content hash in the name: a new build never serves other bytes under an old name.
      expect(asset).toMatch(/-[A-Z0-9]{8,}\.(js|css)$/);
    }
  });

  it('compresses for a client that accepts gzip, and only then', async () => {
    for (const path of ['/', '/index.html']) {
      const plain = await send(server.port, path);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['content-length']).toBe(String(plain.body.length));
      const zipped = await send(server.port, path, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(zipped.status).toBe(200);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers.vary).toBe('accept-encoding');
      expect(zipped.headers['content-length']).toBe(String(zipped.body.length));
      expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    }
    const script = /\ssrc="(assets\/[^"]+\.js)"/.exec(page.toString('utf8'))![1]!;
    const zipped = await send(server.port, `/${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(readFileSync(join(CONSOLE_DIR, script)).length);
    expect(gunzipSync(zipped.body).equals(readFileSync(join(CONSOLE_DIR, script)))).toBe(true);
  });

  it('answers a request carrying the current ETag with 304 and no body', async () => {
    const script = `/${/\ssrc="(assets\/[^"]+\.js)"/.exec(page.toString('utf8'))![1]!}`;
    for (const path of ['/', script]) {
      const first = await send(server.port, path);
      const etag = String(first.headers.etag);
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await send(server.port, path, { headers: { 'if-none-match': etag } });
      expect(again.status, path).toBe(304);
      expect(again.body.length).toBe(0);
      expect(again.headers.etag).toBe(etag);
      expect(again.headers['content-security-policy']).toBe(first.headers['content-security-policy']);
      const other = await send(server.port, path, { headers: { 'if-none-match': '"another-version"' } });
      expect(other.status, path).toBe(200);
      expect(other.body.equals(first.body)).toBe(true);
    }
  });

  it('gives the compressed page an ETag of its own, and a 304 only for the variant the client holds', async () => {
    const script = `/${/\ssrc="(assets\/[^"]+\.js)"/.exec(page.toString('utf8'))![1]!}`;
    const gzip = { 'accept-encoding': 'gzip' };
    for (const path of ['/', script]) {
      const plainTag = String((await send(server.port, path)).headers.etag);
      const zipped = await send(server.port, path, { headers: gzip });
      const gzipTag = String(zipped.headers.etag);
      expect(zipped.headers['content-encoding'], path).toBe('gzip');
      // The plain tag with -gz before its closing quote.
      expect(gzipTag, path).toBe(`${plainTag.slice(0, -1)}-gz"`);
      const ask = (ifNoneMatch: string, headers: Record<string, string> = {}) => send(server.port, path, { headers: { 'if-none-match': ifNoneMatch, ...headers } });

      // Holding the compressed bytes says nothing about the plain ones, and the other way round.
      const plainForGzipTag = await ask(gzipTag);
      expect(plainForGzipTag.status, path).toBe(200);
      expect(plainForGzipTag.headers['content-encoding']).toBeUndefined();
      expect(plainForGzipTag.headers.etag).toBe(plainTag);
      const gzipForPlainTag = await ask(plainTag, gzip);
      expect(gzipForPlainTag.status, path).toBe(200);
      expect(gzipForPlainTag.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gzipForPlainTag.body).equals(plainForGzipTag.body)).toBe(true);

      for (const held of [gzipTag, `W/${gzipTag}`, `"another-version", ${gzipTag}`, `${plainTag}, W/${gzipTag}`]) {
        const notModified = await ask(held, gzip);
        expect(notModified.status, `${path} ${held}`).toBe(304);
        expect(notModified.body.length).toBe(0);
        expect(notModified.headers.etag).toBe(gzipTag);
      }
      for (const held of [`W/${plainTag}`, `"another-version", ${plainTag}`]) expect((await ask(held)).status, `${path} ${held}`).toBe(304);
    }
  });

  it('sends no gzip to a client that refuses it with q=0', async () => {
    for (const acceptEncoding of ['gzip;q=0', 'gzip; q=0', 'GZIP;Q=0', 'gzip;q=0.000', 'br, gzip;q=0', '*;q=0', 'identity', 'deflate, br', '*, gzip;q=0']) {
      const answer = await send(server.port, '/', { headers: { 'accept-encoding': acceptEncoding } });
      expect(answer.status, acceptEncoding).toBe(200);
      expect(answer.headers['content-encoding'], acceptEncoding).toBeUndefined();
      expect(answer.body.equals(page), acceptEncoding).toBe(true);
    }
    // gzip's own entry wins over *'s, either way round.
    for (const acceptEncoding of ['gzip;q=0.5', 'br;q=1, gzip;q=0.1', '*', '*;q=0, gzip']) {
      const answer = await send(server.port, '/', { headers: { 'accept-encoding': acceptEncoding } });
      expect(answer.headers['content-encoding'], acceptEncoding).toBe('gzip');
      expect(gunzipSync(answer.body).equals(page), acceptEncoding).toBe(true);
    }
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const get = await send(server.port, '/');
    const head = await send(server.port, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    for (const header of ['content-type', 'content-length', 'etag', 'cache-control', 'content-security-policy', 'x-frame-options'])
      expect(head.headers[header], header).toBe(get.headers[header]);
  });

  it('refuses other methods with 405, and answers 404 for what it does not hold', async () => {
    for (const [method, path] of [
      ['POST', '/'],
      ['PUT', '/index.html'],
      ['DELETE', '/console/config'],
      ['POST', '/console/config'],
    ] as const) {
      const answer = await send(server.port, path, { method, headers: { 'content-length': '0' } });
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    }
    for (const path of ['/assets/nope.js', '/assets/', '/assets', '/nope', '/console', '/console/config/', '/dist/console/index.html', '/index.htm']) {
      const answer = await send(server.port, path);
      expect(answer.status, path).toBe(404);
      expect(answer.headers['content-type'], path).toBe('application/json');
    }
  });

  it('never serves a file it was not built with, whatever the path says', async () => {
    const built = builtFiles();
    const outside = ['package.json', 'src/main.ts', 'schema.graphql'].map((file) => readFileSync(join(CONSOLE_DIR, '..', '..', file)));
    for (const path of [
      '/assets/../index.html',
      '/assets/../../package.json',
      '/%2e%2e/package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/..%2f..%2fsrc/main.ts',
      '//etc/passwd',
      '/assets//../../schema.graphql',
      '/assets/__proto__',
      '/__proto__',
      '/constructor',
      '/assets/constructor',
      '/hasOwnProperty',
      '/build-info.json',
      '/../build-info.json',
      '/main.js',
      '/console/../main.js',
      '/index.html%00.js',
      '/INDEX.HTML',
    ]) {
      const answer = await send(server.port, path);
      // Dot segments are resolved as a URL parser would: what is left must be a file of the built console, or nothing.
      if (answer.status === 200)
        expect(
          [...built.values()].some((file) => file.equals(answer.body)),
          path,
        ).toBe(true);
      else expect(answer.status, path).toBe(404);
      for (const file of outside) expect(answer.body.includes(file.subarray(0, 200)), path).toBe(false);
    }
    // Outside the console's folder, for certain.
    for (const path of ['/%2e%2e/package.json', '/assets/__proto__', '/constructor', '/build-info.json', '/main.js'])
      expect((await send(server.port, path)).status, path).toBe(404);
  });
});

describe('the console’s settings (GET /console/config)', () => {
  let server: ConsoleServer;
  beforeAll(async () => {
    server = await startConsoleServer();
  });
  afterAll(() => server?.close());

  const config = async (headers: Record<string, string>, target = server) => {
    const answer = await send(target.port, '/console/config', { headers });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    // It may carry a token: never kept by a cache.
    expect(answer.headers['cache-control']).toBe('no-store');
    return JSON.parse(answer.body.toString('utf8')) as { developmentToken: string | null; embedOrigins: string[] };
  };

  it('hands the development token to a page of this origin loaded from this machine', async () => {
    const port = server.port;
    for (const headers of <Record<string, string>[]>[
      { host: `127.0.0.1:${port}` },
      { host: `localhost:${port}` },
      { host: `[::1]:${port}` },
      { host: `127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin', referer: `http://127.0.0.1:${port}/` },
      { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin' },
    ]) {
      expect(await config(headers), JSON.stringify(headers)).toEqual({ developmentToken: server.devToken, embedOrigins: [] });
    }
  });

  it('withholds it from another site, another host name, or a browser that says another site asked', async () => {
    const port = server.port;
    for (const headers of <Record<string, string>[]>[
      { host: `127.0.0.1:${port}`, origin: 'https://evil.example' },
      { host: `127.0.0.1:${port}`, origin: 'null' },
      { host: `127.0.0.1:${port}`, referer: 'https://evil.example/page' },
      { host: `127.0.0.1:${port}`, 'sec-fetch-site': 'cross-site' },
      { host: `127.0.0.1:${port}`, 'sec-fetch-site': 'same-site' },
      { host: `127.0.0.1:${port}`, 'sec-fetch-site': 'none' },
      { host: `evil.example:${port}` },
      { host: 'evil.example' },
      { host: `localhost.evil.example:${port}` },
      { host: `api.internal:${port}`, 'sec-fetch-site': 'same-origin' },
    ]) {
      const answer = await config(headers);
      expect(answer.developmentToken, JSON.stringify(headers)).toBeNull();
    }
    const raw = await send(port, '/console/config', { headers: { host: 'evil.example' } });
    expect(raw.body.includes(server.devToken)).toBe(false);
  });

  it('withholds it from a request that came through a proxy, though the proxy runs on this machine', async () => {
    const host = `127.0.0.1:${server.port}`;
    for (const proxied of <Record<string, string>[]>[
      { 'x-forwarded-for': '203.0.113.9' },
      { forwarded: 'for=203.0.113.9' },
      { forwarded: 'for=127.0.0.1;host=localhost' },
      { 'x-forwarded-for': '127.0.0.1' },
      { 'x-forwarded-host': 'keys.example.com' },
      { 'x-real-ip': '203.0.113.9' },
    ]) {
      const answer = await config({ host, 'sec-fetch-site': 'same-origin', ...proxied });
      expect(answer.developmentToken, JSON.stringify(proxied)).toBeNull();
    }
  });

  it.skipIf(!externalAddress)('withholds it from a connection that does not come from loopback, whatever Host says', async () => {
    const open = await startConsoleServer({ host: '0.0.0.0' });
    try {
      const host = `127.0.0.1:${open.port}`;
      const remote = await send(open.port, '/console/config', { address: externalAddress!, headers: { host } });
      expect(remote.status).toBe(200);
      expect(JSON.parse(remote.body.toString('utf8')).developmentToken).toBeNull();
      expect(remote.body.includes(open.devToken)).toBe(false);
      // The same request over loopback is handed it: the peer's address alone made the difference.
      expect((await config({ host }, open)).developmentToken).toBe(open.devToken);
    } finally {
      await open.close();
    }
  });

  it('answers under the console’s security headers, never to be stored or sniffed', async () => {
    for (const method of ['GET', 'HEAD']) {
      const answer = await send(server.port, '/console/config', { method, headers: { host: `127.0.0.1:${server.port}` } });
      expect(answer.status, method).toBe(200);
      expect(answer.headers['x-content-type-options'], method).toBe('nosniff');
      expect(answer.headers['cache-control'], method).toBe('no-store');
      expect(answer.headers['referrer-policy'], method).toBe('no-referrer');
      expect(answer.headers['x-frame-options'], method).toBe('DENY');
      expect(directives(answer)).toEqual(expect.arrayContaining(["default-src 'none'", "frame-ancestors 'none'"]));
    }
  });

  it('has no token to hand when the server has none (production, or a secret of your own)', async () => {
    const bare = await startConsoleServer({ developmentToken: false });
    try {
      expect(await config({ host: `127.0.0.1:${bare.port}` }, bare)).toEqual({ developmentToken: null, embedOrigins: [] });
    } finally {
      await bare.close();
    }
  });
});

describe('the console embedded in a platform’s page', () => {
  it('may be framed by the listed origins alone, and says which they are', async () => {
    const server = await startConsoleServer({ consoleEmbedOrigins: ['https://platform.example'] });
    try {
      const answer = await send(server.port, '/');
      expect(directives(answer)).toContain('frame-ancestors https://platform.example');
      expect(answer.headers['x-frame-options']).toBeUndefined();
      const config = JSON.parse((await send(server.port, '/console/config')).body.toString('utf8'));
      expect(config.embedOrigins).toEqual(['https://platform.example']);
    } finally {
      await server.close();
    }
  });

  it('lists several origins in frame-ancestors', async () => {
    const server = await startConsoleServer({ consoleEmbedOrigins: ['https://platform.example', 'https://admin.platform.example:8443'] });
    try {
      const answer = await send(server.port, '/');
      expect(directives(answer)).toContain('frame-ancestors https://platform.example https://admin.platform.example:8443');
      expect(answer.headers['x-frame-options']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('a server whose console was not built', () => {
  it('answers / with 404, as before there was a console, saying how to build it; the API is served', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'console-unbuilt-'));
    try {
      for (const consoleDir of [empty, join(empty, 'missing'), null]) {
        const server = await startTestServer({ consoleDir });
        try {
          for (const path of ['/', '/index.html']) {
            const answer = await send(server.port, path);
            // Not 503: a load balancer probing / must not take a healthy API out of rotation.
            expect(answer.status, `${consoleDir} ${path}`).toBe(404);
            expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
            expect(answer.headers['cache-control']).toBe('no-store');
            expect(answer.body.toString('utf8')).toContain('npm run build');
          }
          expect((await send(server.port, '/assets/app.js')).status).toBe(404);
          expect((await server.gql('{ viewer { subject } }')).data).toEqual({ viewer: { subject: 'tester' } });
        } finally {
          await server.close();
        }
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('a server started with CONSOLE=false', () => {
  it('serves no console, though one is built: / and /console/config answer 404, and the API is unchanged', async () => {
    const server = await startConsoleServer({ console: false });
    try {
      const script = /\ssrc="(assets\/[^"]+\.js)"/.exec(readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8'))![1]!;
      for (const path of ['/', '/index.html', '/console/config', `/${script}`]) {
        const answer = await send(server.port, path, { headers: { host: `127.0.0.1:${server.port}` } });
        expect(answer.status, path).toBe(404);
        expect(answer.headers['content-type'], path).toBe('application/json');
        expect(answer.body.includes(server.devToken), path).toBe(false);
      }
      expect((await server.gql('{ viewer { subject } }')).data).toEqual({ viewer: { subject: 'tester' } });
    } finally {
      await server.close();
    }
  });
});
