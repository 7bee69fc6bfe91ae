import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { OperationLabel, Route, ServerMetrics } from '../metrics/server-metrics';

/**
 * What is known of one request, filled in as it is answered (by the router, the
 * fast path and a yoga plugin), then written once as its access-log line and its
 * duration sample. Only what an operator may see: never variables, query text,
 * headers or tokens.
 */
export interface RequestRecord {
  requestId: string;
  method: string;
  /** The path alone: a GET's query string can carry a whole GraphQL request, variables and all. */
  path: string;
  route: Route;
  /** performance.now() at arrival. */
  startedAt: number;
  /** The token's `sub`, once authenticated. */
  subject?: string;
  operationType?: Exclude<OperationLabel, 'none'>;
  /** As the document names it; null for an anonymous operation. */
  operationName?: string | null;
  /** The operation's top-level fields, e.g. ["verifyApiKey"]. */
  rootFields?: string[];
  fastPath: boolean;
}

const ROUTES = new Set<string>(['/graphql', '/health', '/ready', '/metrics']);
/** Probes and scrapes arrive every few seconds from every load balancer: logged at debug only. */
const QUIET_ROUTES = new Set<Route>(['/health', '/ready', '/metrics']);
const MAX_LOGGED_PATH = 200;
const MAX_LOGGED_NAME = 100;

export function startRecord(req: IncomingMessage, requestId: string): RequestRecord {
  const path = pathOf(req.url);
  return {
    requestId,
    method: req.method ?? 'GET',
    path,
    route: ROUTES.has(path) ? (path as Route) : 'other',
    startedAt: performance.now(),
    fastPath: false,
  };
}

/**
 * The pathname alone, as yoga reads it too: an absolute-form request line
 * (POST http://user:password@host/graphql) must not put its user information in the log.
 */
function pathOf(url = '/'): string {
  // The usual origin-form target ("/graphql", "/ready?x"): its path is what precedes "?", with no URL
  // parse on the hot path. Anything unusual (absolute form, //, dot segments, escapes) goes to the parser.
  if (url.startsWith('/') && !url.startsWith('//') && !/[\\%#]|\/\.{1,2}(\/|\?|$)/.test(url)) {
    const query = url.indexOf('?');
    return query === -1 ? url : url.slice(0, query);
  }
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    // Node accepts request targets a URL parser refuses ("http://[bad/"): such a request gets the 404 of "/".
    return '/';
  }
}

/**
 * Which requests get an access-log line (ACCESS_LOG). At gateway rates answered verifications
 * are nearly all of the volume, and writing their lines costs the fast path about a fifth of
 * its throughput (bench/results.md): `except-verifications` leaves out the ones answered 2xx and
 * keeps every other request, failed verifications included. /metrics counts every request either way.
 */
export const ACCESS_LOG_MODES = ['all', 'except-verifications', 'off'] as const;
export type AccessLogMode = (typeof ACCESS_LOG_MODES)[number];

export interface RequestObservers {
  logger: Logger;
  metrics: ServerMetrics | null;
  /** Default `all`. */
  accessLog?: AccessLogMode;
}

function isLogged(mode: AccessLogMode, record: RequestRecord, status: number | null): boolean {
  if (mode === 'all') return true;
  if (mode === 'off') return false;
  const verification = record.rootFields?.length === 1 && record.rootFields[0] === 'verifyApiKey';
  return !(verification && status !== null && status < 400);
}

/** Writes the record when the response ends, or when the client goes away first. */
export function finishRecordOnClose(res: ServerResponse, record: RequestRecord, { logger, metrics, accessLog = 'all' }: RequestObservers): void {
  res.once('close', () => {
    const seconds = (performance.now() - record.startedAt) / 1000;
    // Null when the client went away before any answer was started (res.statusCode would say 200).
    const status = res.headersSent ? res.statusCode : null;
    metrics?.requestFinished(record.route, record.operationType ?? 'none', status, seconds);
    const level = QUIET_ROUTES.has(record.route) ? 'debug' : 'info';
    if (!logger.isLevelEnabled(level) || !isLogged(accessLog, record, status)) return;
    logger[level](
      {
        requestId: record.requestId,
        method: record.method,
        path: record.path.slice(0, MAX_LOGGED_PATH),
        status,
        durationMs: Math.round(seconds * 1e6) / 1000,
        ...(record.operationType && {
          operationType: record.operationType,
          operationName: record.operationName?.slice(0, MAX_LOGGED_NAME) ?? null,
          rootFields: record.rootFields,
        }),
        ...(record.subject !== undefined && { subject: record.subject.slice(0, MAX_LOGGED_NAME) }),
        fastPath: record.fastPath,
        // The client went away before the whole answer was sent (or, for a live feed, closed it).
        ...(!res.writableFinished && { aborted: true }),
      },
      'request',
    );
  });
}
