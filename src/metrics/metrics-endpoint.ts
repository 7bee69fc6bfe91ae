import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackAddress } from '../server/client-info';
import { sendError } from '../server/http-responses';
import type { ServerMetrics } from './server-metrics';

export interface MetricsAccess {
  /** When set, a scrape must send Authorization: Bearer <token>; when not, only loopback clients may scrape. */
  token?: string;
  /** The client's address as verifiedClientAddress (client-info.ts) reads it: null when it cannot be known, which is never loopback. */
  clientAddress(req: IncomingMessage): string | null;
}

/**
 * GET /metrics. The figures are not secret in the way keys are, but they tell
 * anyone how busy the service is and which codes it answers: so either a token
 * (for a scraper elsewhere) or this machine only (a scraper or sidecar beside it).
 */
export function createMetricsEndpoint(metrics: ServerMetrics, access: MetricsAccess) {
  // An empty METRICS_TOKEN counts as none: loopback only, never "any token".
  const expected = access.token ? digest(access.token) : null;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Use GET for /metrics', { allow: 'GET, HEAD' });
    if (expected) {
      if (!bearerMatches(req.headers.authorization, expected)) {
        return sendError(res, 401, 'UNAUTHENTICATED', 'Metrics need Authorization: Bearer with the metrics token (METRICS_TOKEN)', { 'www-authenticate': 'Bearer' });
      }
    } else if (!isLoopbackAddress(access.clientAddress(req))) {
      return sendError(res, 403, 'FORBIDDEN', 'Metrics are served to this machine only; set METRICS_TOKEN to scrape from elsewhere');
    }
    const body = await metrics.exposition();
    res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/** Digests of equal length, so the comparison takes the same time whatever was sent. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}
