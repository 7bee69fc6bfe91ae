import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export interface ClientInfo {
  address: string | null;
  userAgent: string | null;
}

/**
 * Who is calling, as far as the connection tells. `trustedProxies` is how many
 * proxies you run in front of the service (true means one): only then is
 * X-Forwarded-For read, and only the part our own proxies wrote.
 */
export function clientInfoOf(req: IncomingMessage, trustedProxies: number | boolean): ClientInfo {
  const userAgent = req.headers['user-agent'];
  return {
    address: (forwardedClient(req, hopsOf(trustedProxies)) ?? req.socket.remoteAddress ?? null)?.slice(0, 100) ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 300) : null,
  };
}

/**
 * The client's address for a decision that trusts it (the /metrics loopback rule).
 * Behind trusted proxies, a request that carries X-Forwarded-For came through them:
 * its client is the entry our proxy wrote, or null when that entry is missing (the
 * socket's address is the proxy's own, loopback on the usual set-up, and would let
 * anyone through). A request without the header did not come through a proxy that
 * writes it (TRUST_PROXY says ours do): a scraper on this machine, judged by its socket.
 */
export function verifiedClientAddress(req: IncomingMessage, trustedProxies: number | boolean): string | null {
  const hops = hopsOf(trustedProxies);
  if (hops === 0 || req.headers['x-forwarded-for'] === undefined) return req.socket.remoteAddress ?? null;
  return forwardedClient(req, hops);
}

function hopsOf(trustedProxies: number | boolean): number {
  if (typeof trustedProxies === 'boolean') return trustedProxies ? 1 : 0;
  return Number.isInteger(trustedProxies) && trustedProxies > 0 ? trustedProxies : 0;
}

/**
 * Each proxy appends the address it saw, so with `hops` proxies of ours the client
 * is the entry `hops` places from the right; entries further left are whatever the
 * client sent, and are ignored. Null unless that entry is an IP address.
 */
function forwardedClient(req: IncomingMessage, hops: number): string | null {
  if (hops === 0) return null;
  const header = req.headers['x-forwarded-for'];
  if (header === undefined) return null;
  // Node joins repeated X-Forwarded-For headers with ", ", in the order received.
  const entries = (Array.isArray(header) ? header.join(',') : header).split(',');
  if (entries.length < hops) return null;
  const candidate = entries[entries.length - hops]!.trim();
  return isIP(candidate) ? candidate : null;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (what a dual-stack listener reports). */
export function isLoopbackAddress(address: string | null): boolean {
  if (address === null) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return (isIP(v4) === 4 && v4.startsWith('127.')) || address === '::1';
}
