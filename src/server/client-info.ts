import type { IncomingMessage } from 'node:http';

export interface ClientInfo {
  address: string | null;
  userAgent: string | null;
}

/** Who is calling, as far as the connection tells; X-Forwarded-For only when a trusted proxy sets it. */
export function clientInfoOf(req: IncomingMessage, trustProxy: boolean): ClientInfo {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined;
  const userAgent = req.headers['user-agent'];
  return {
    address: (first || req.socket.remoteAddress || null)?.slice(0, 100) ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 300) : null,
  };
}
