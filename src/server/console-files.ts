import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isLoopbackRequest } from './browser-access';
import { sendError } from './http-responses';

// The API Keys console (console/, built into dist/console by npm run build): a page
// and its content-hashed assets, read once at start and served from memory. Only
// names found in the built folder are served (a Map lookup, so no path can reach
// outside it). Every answer carries a Content-Security-Policy that lets the page run
// its own script and styles and talk to this origin, and nothing else.

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

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/** Paths the console answers (the API keeps /graphql, /health, /ready, /metrics). */
const PAGE_PATHS = new Set(['/', '/index.html']);
const CONFIG_PATH = '/console/config';

export async function createConsoleHandler(options: ConsoleOptions): Promise<ConsoleHandler> {
  const files = options.dir ? await loadFiles(options.dir) : new Map<string, ConsoleFile>();
  const headers = securityHeaders(options.embedOrigins);
  const configBody = (req: IncomingMessage) => ({
    developmentToken: options.developmentToken && fromThisMachine(req) ? options.developmentToken : null,
    embedOrigins: options.embedOrigins,
  });
  return (req, res, path) => {
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
    files.set(`/${name.split('\\').join('/')}`, { body, type, etag, gzipped: type.startsWith('image/png') || type.startsWith('font/') ? null : gzipSync(body) });
  }
  return files;
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

/**
 * Asked for by a page of this origin, loaded from this machine: the connection comes
 * from a loopback address, through no proxy (a proxy on this machine may carry a remote
 * browser's request, and some rewrite Host to localhost), and the Host, Origin and Referer
 * name this machine. Browsers say which site sent a request (Sec-Fetch-Site); one that
 * says another did never gets the token.
 */
function fromThisMachine(req: IncomingMessage): boolean {
  if (!isLoopbackAddress(req.socket.remoteAddress)) return false;
  if (FORWARDING_HEADERS.some((name) => req.headers[name] !== undefined)) return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const get = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : null;
  };
  return isLoopbackRequest({ headers: { get } });
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
