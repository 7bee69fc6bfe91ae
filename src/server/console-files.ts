import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { isFromThisMachine } from './browser-access';
import { sendError } from './http-responses';

// The API Keys console (console/, built into dist/console by npm run build): a page
// and its content-hashed assets, read once at start and served from memory. Only
// names found in the built folder are served (a Map lookup, so no path can reach
// outside it). Every answer carries a Content-Security-Policy that lets the page run
// its own script and styles and talk to this origin, and nothing else.

const gzipAsync = promisify(gzip);

const TYPES = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.woff2', 'font/woff2'],
]);

interface ConsoleFile {
  body: Buffer;
  gzipped: Buffer | null;
  type: string;
  etag: string;
}

export interface ConsoleOptions {
  /** The built console (dist/console); null or missing: / says it was not built. */
  dir: string | null;
  /** Handed to pages loaded from this machine only, as GraphiQL's is (development). */
  developmentToken?: string;
  /** Origins whose pages may frame the console and post it a token. */
  embedOrigins: readonly string[];
}

/** Answers the console's paths (true), or leaves the request alone (false); `built`: whether there is a page to serve. */
export type ConsoleHandler = ((req: IncomingMessage, res: ServerResponse, path: string) => boolean) & { readonly built: boolean };

/** Paths the console answers (the API keeps /graphql, /health, /ready, /metrics). */
const PAGE_PATHS = new Set(['/', '/index.html']);
const CONFIG_PATH = '/console/config';

export async function createConsoleHandler(options: ConsoleOptions): Promise<ConsoleHandler> {
  const files = options.dir ? await loadFiles(options.dir) : new Map<string, ConsoleFile>();
  const headers = securityHeaders(options.embedOrigins);
  const configBody = (req: IncomingMessage) => ({
    developmentToken: options.developmentToken && isFromThisMachine(req, { navigation: false }) ? options.developmentToken : null,
    embedOrigins: options.embedOrigins,
  });
  const handle = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    const name = PAGE_PATHS.has(path) ? '/index.html' : path;
    const file = files.get(name);
    if (!file && path !== CONFIG_PATH && !PAGE_PATHS.has(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Only GET and HEAD.', { allow: 'GET, HEAD' });
      return true;
    }
    if (path === CONFIG_PATH) {
      // Never stored by any cache: what it holds depends on who asks.
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
      res.end(JSON.stringify(configBody(req)));
      return true;
    }
    if (!file) {
      // 404, as / answered before there was a console: a probe of / must not read a missing page as an outage.
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end('The API Keys console has not been built: run npm run build (npm start builds it). The API itself is at /graphql.\n');
      return true;
    }
    sendFile(req, res, file, name === '/index.html', headers);
    return true;
  };
  return Object.assign(handle, { built: files.has('/index.html') });
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: ConsoleFile, isPage: boolean, headers: Record<string, string>): void {
  const shared = {
    'content-type': file.type,
    vary: 'accept-encoding',
    // The page is checked on every load (it names the current assets); assets never change under their name.
    'cache-control': isPage ? 'no-cache' : 'public, max-age=31536000, immutable',
    ...headers,
  };
  const gzip = file.gzipped !== null && acceptsGzip(req.headers['accept-encoding']);
  // Each encoding is a representation of its own, with an ETag of its own.
  const etag = gzip ? `${file.etag.slice(0, -1)}-gz"` : file.etag;
  const common = { ...shared, etag };
  if (matchesEtag(req.headers['if-none-match'], etag)) {
    res.writeHead(304, common).end();
    return;
  }
  const body = gzip ? file.gzipped! : file.body;
  res.writeHead(200, { ...common, 'content-length': String(body.length), ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Whether Accept-Encoding allows gzip with a weight above zero: gzip's own entry, else that of *. */
function acceptsGzip(header: string | undefined): boolean {
  const weights = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    if (coding) weights.set(coding.trim(), q === undefined ? 1 : Number(q.slice(2)));
  }
  const weight = weights.get('gzip') ?? weights.get('*') ?? 0;
  return weight > 0;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

export function securityHeaders(embedOrigins: readonly string[]): Record<string, string> {
  const ancestors = embedOrigins.length > 0 ? embedOrigins.join(' ') : "'none'";
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors ${ancestors}`,
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    ...(embedOrigins.length === 0 ? { 'x-frame-options': 'DENY' } : {}),
  };
}

/** Every file of the built console, by its URL path. */
async function loadFiles(dir: string): Promise<Map<string, ConsoleFile>> {
  const files = new Map<string, ConsoleFile>();
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true })).map(String);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw error;
  }
  for (const name of names) {
    const type = TYPES.get(extname(name));
    if (!type) continue;
    const body = await readFile(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    // Off the event loop: the script bundle takes about 10 ms to compress.
    files.set(`/${name.split('\\').join('/')}`, { body, type, etag, gzipped: type.startsWith('image/png') || type.startsWith('font/') ? null : await gzipAsync(body) });
  }
  return files;
}
