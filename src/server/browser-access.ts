import type { IncomingMessage } from 'node:http';
import { isLoopbackAddress } from './client-info';

// What a browser page may do with this API. Tokens travel in the Authorization
// header, never in cookies, so nothing here ever allows credentials.

/** Headers a listed page may send: the bearer token, the body's type, and a request id of its own. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'accept', 'x-request-id'];

/** The shape of yoga's (whatwg-node's) CORS options, which graphql-yoga does not export. */
type CorsAnswer = false | { origin: string[]; credentials: boolean; methods: string[]; allowedHeaders: string[]; exposedHeaders: string[]; maxAge: number };

/**
 * yoga's `cors` option: a page of a listed origin (exact match, as the browser sends
 * it) gets access-control-allow-origin naming it; any other origin, and every origin
 * when none is listed, gets no CORS header at all, so its browser keeps the answer
 * from it.
 */
export function corsFor(origins: readonly string[]) {
  const listed = new Set(origins);
  return (request: Request): CorsAnswer => {
    const origin = request.headers.get('origin');
    if (origin === null || !listed.has(origin)) return false;
    return {
      // Two entries make whatwg-node echo the request's origin and add Vary: Origin,
      // so a cache never hands one origin's answer, headers and all, to another.
      origin: [origin, origin],
      credentials: false,
      methods: ['GET', 'POST'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    };
  };
}

const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/**
 * True for a request addressed to this machine by a loopback name and sent by no
 * other site. A page elsewhere can make a browser reach 127.0.0.1 under a name of
 * its own (DNS rebinding); the Host header then carries that name. Origin and
 * Referer, when present, must be loopback http origins too.
 */
export function isLoopbackRequest(request: { headers: { get(name: string): string | null } }): boolean {
  if (!LOOPBACK_HOST.test(request.headers.get('host') ?? '')) return false;
  for (const header of ['origin', 'referer']) {
    const value = request.headers.get(header);
    if (value !== null && !isLoopbackOrigin(value)) return false;
  }
  return true;
}

function isLoopbackOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && url.username === '' && url.password === '' && LOOPBACK_HOST.test(url.host);
  } catch {
    return false;
  }
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

/**
 * Whether a request may be handed the development token (GraphiQL's page, the console's
 * settings): the connection comes from a loopback address, through no proxy (a proxy on
 * this machine may carry a remote browser's request, and some rewrite Host to localhost),
 * and Host, Origin and Referer name this machine (isLoopbackRequest). Browsers say which
 * site sent a request (Sec-Fetch-Site): a page's own request says same-origin; an address
 * typed in or a bookmark says none, which counts only for a page (`navigation`); any other
 * site never gets the token.
 */
export function isFromThisMachine(req: IncomingMessage, { navigation }: { navigation: boolean }): boolean {
  if (!isLoopbackAddress(req.socket.remoteAddress ?? null)) return false;
  if (FORWARDING_HEADERS.some((name) => req.headers[name] !== undefined)) return false;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && !(navigation && site === 'none')) return false;
  const get = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : null;
  };
  return isLoopbackRequest({ headers: { get } });
}
