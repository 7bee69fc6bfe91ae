import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Authenticate, AuthenticationError } from '../auth/authenticate';
import type { Principal } from '../auth/principal';
import type { ServerMetrics } from '../metrics/server-metrics';
import type { ConsoleHandler } from './console-files';
import { sendError } from './http-responses';
import { IncompleteBodyError, readBody, rejectUnboundedBody } from './request-body';
import { requestIdOf } from './request-id';
import { type AccessLogMode, finishRecordOnClose, type RequestRecord, startRecord } from './request-record';

export interface RequestHandlerDeps {
  logger: Logger;
  /** Request durations (null: none kept). */
  metrics?: ServerMetrics | null;
  /** Which requests get an access-log line (default all). */
  accessLog?: AccessLogMode;
  authenticate: Authenticate;
  /** Answers a plain verification and gives true, or gives false without touching the response. */
  fastPath: ((req: IncomingMessage, res: ServerResponse, body: Buffer, record: RequestRecord, authenticate: () => Promise<Principal>) => boolean | Promise<boolean>) | null;
  onFastPathAnswer(): void;
  /** Whether GET with Accept: text/html serves GraphiQL (which needs no token to load). */
  servesGraphiQL: boolean;
  yoga(req: IncomingMessage, res: ServerResponse, context: { requestId: string; principal?: Principal; record: RequestRecord }): unknown;
  liveness(res: ServerResponse): void;
  readiness(res: ServerResponse): Promise<void>;
  /** GET /metrics (absent: 404). */
  metricsEndpoint?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** The API Keys console's page, assets and settings; answers true when the path is one of them. */
  console?: ConsoleHandler;
}

/**
 * The HTTP entry point. Every request is answered or its socket closed, whatever
 * fails: nothing a client does, not even going away mid-body, can reject a promise
 * nobody handles. Authentication comes before GraphQL parses or validates anything,
 * so without a valid token nothing about the schema is revealed. Each request
 * leaves one access-log line and one duration sample when it ends (request-record.ts).
 */
export function createRequestHandler(deps: RequestHandlerDeps) {
  const observers = { logger: deps.logger, metrics: deps.metrics ?? null, accessLog: deps.accessLog };
  return (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const record = startRecord(req, requestId);
    finishRecordOnClose(res, record, observers);
    route(deps, req, res, record).catch((error: unknown) => {
      if (error instanceof IncompleteBodyError) {
        deps.logger.debug({ requestId }, 'client went away before its request body arrived');
        return void res.destroy();
      }
      deps.logger.error({ err: error, requestId }, 'request failed outside GraphQL');
      if (!res.headersSent && !res.destroyed) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
      else res.destroy();
    });
  };
}

async function route(deps: RequestHandlerDeps, req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> {
  const { requestId, path } = record;
  // One signature check per request: a verification the fast path hands over has had its token checked already.
  let authentication: Promise<Principal> | undefined;
  const authenticateOnce = () => (authentication ??= deps.authenticate(req.headers.authorization));
  if (path === '/health') return deps.liveness(res);
  if (path === '/ready') return deps.readiness(res);
  if (path === '/metrics' && deps.metricsEndpoint) return deps.metricsEndpoint(req, res);
  if (path !== '/graphql') {
    if (deps.console?.(req, res, path)) return;
    return sendError(res, 404, 'NOT_FOUND', deps.console ? 'Not found: the API is at /graphql, the console at /' : 'Not found: the API is at /graphql');
  }
  if (req.method === 'POST') {
    if (rejectUnboundedBody(req, res)) return;
    const body = await readBody(req);
    const answered = deps.fastPath?.(req, res, body, record, authenticateOnce) ?? false;
    if (answered === true || (answered !== false && (await answered))) {
      record.fastPath = true;
      return deps.onFastPathAnswer();
    }
    // yoga reads an already-consumed body from req.body.
    (req as IncomingMessage & { body?: Buffer }).body = body;
  }
  let principal: Principal | undefined;
  if (needsToken(req, deps.servesGraphiQL)) {
    try {
      principal = await authenticateOnce();
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      return sendError(res, 401, error.code, error.message, { 'www-authenticate': 'Bearer' });
    }
    record.subject = principal.subject;
  }
  await deps.yoga(req, res, { requestId, principal, record });
}

/** Everything but a CORS preflight and the GraphiQL page itself. */
function needsToken(req: IncomingMessage, servesGraphiQL: boolean): boolean {
  if (req.method === 'OPTIONS') return false;
  return !(servesGraphiQL && req.method === 'GET' && req.headers.accept?.includes('text/html'));
}
