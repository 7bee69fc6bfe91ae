import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { sql } from 'kysely';
import pino, { type Logger } from 'pino';
import { AuthenticationError, createAuthenticator, type AuthConfig } from '../auth/authenticate';
import { createGraphQLContext } from '../graphql/context';
import { createOpaqueIds, loadOpaqueIdSecret } from '../graphql/opaque-ids';
import { schema } from '../graphql/schema';
import { isPostgresUrl, openDatabase, type Db } from '../store/database';
import { ChangeListener } from '../store/change-notifications';
import { AuditFeed } from '../feed/audit-feed';
import type { StoredEvent } from '../../events/event-envelope';
import { checkLogIntegrity } from '../store/log-integrity';
import { clientInfoOf, type ClientInfo } from './client-info';
import { createMaskError } from './mask-error';
import { disableIntrospectionPlugin, MAX_BODY_BYTES, queryLimitsPlugin } from './query-limits';
import { errorResponsePlugin } from './error-response-plugin';
import { requestIdOf } from './request-id';
import { createVerifyFastPath } from './verify-fast-path';
import { KeyVerifier } from '../verification/key-verifier';
import { UsageRecorder } from '../verification/usage-recorder';

export interface ServerOptions {
  port: number;
  host?: string;
  databaseUrl: string;
  auth: AuthConfig;
  production?: boolean;
  trustProxy?: boolean;
  introspection?: boolean;
  /** Prefilled in GraphiQL's header editor (development only). */
  graphiqlToken?: string;
  logger?: Logger;
  now?: () => Date;
  /** Called once per SQL statement; used by tests to count what a request costs. */
  onQuery?: (sql: string) => void;
  /** Record verifications as KeyUsed events (default true), written every usageFlushMs (default 1000). */
  usageRecording?: boolean;
  usageFlushMs?: number;
  /** Answer plain verifyApiKey requests without yoga (default true); see verify-fast-path.ts. */
  fastPath?: boolean;
  /** Apply migrations on start (default true). */
  migrateOnStart?: boolean;
  /** How often the live feed looks for new events besides being told of them (default 2000 ms). */
  feedPollMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  db: Db;
  /** Writes buffered usage now (tests, shutdown). */
  flushUsage(): Promise<void>;
  /** Requests answered by the verify fast path so far. */
  readonly fastPathAnswers: number;
  /** Live feed streams open now. */
  readonly feedSubscribers: number;
  close(): Promise<void>;
}

interface RequestContext {
  requestId: string;
  client: ClientInfo;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const now = options.now ?? (() => new Date());
  const production = options.production ?? false;
  const authenticate = createAuthenticator(options.auth);
  const db = await openDatabase(options.databaseUrl, { onQuery: options.onQuery, migrate: options.migrateOnStart ?? true });
  // Audit ids and cursors are encrypted with the database's own secret, the same on every instance.
  const ids = createOpaqueIds(await loadOpaqueIdSecret(db));
  const clock = options.now ? () => now().getTime() : Date.now;
  const feed = new AuditFeed(db, { logger, pollMs: options.feedPollMs });
  // Usage flushes only add KeyUsed events, which no cached key depends on: they wake the feed alone.
  const usage =
    options.usageRecording === false
      ? null
      : new UsageRecorder(db, { flushMs: options.usageFlushMs ?? 1000, logger, now: clock, afterCommit: () => void feed.poke() });
  usage?.start();
  const verifier = new KeyVerifier(db, usage, clock);
  // Every command of this server: the key cache learns of changed keys, the live feed of new events.
  const afterCommit = (events: StoredEvent[]) => {
    verifier.afterCommit(events);
    void feed.poke();
  };
  // Other instances' changes reach this cache and feed through LISTEN/NOTIFY; until
  // the listener is connected, verification reads the database every time.
  const listener = isPostgresUrl(options.databaseUrl)
    ? new ChangeListener(
        options.databaseUrl,
        {
          keyChanged: (keyId) => verifier.cache.invalidate(keyId),
          logAppended: () => void feed.poke(),
          disconnected: () => verifier.cache.disable(),
          connected: () => {
            verifier.cache.enable();
            void feed.poke();
          },
        },
        logger,
      )
    : null;
  if (listener) {
    verifier.cache.disable();
    await listener.start();
  }
  const checkIntegrity = singleFlight(() => checkLogIntegrity(db, now));
  const fastPath = options.fastPath === false ? null : createVerifyFastPath({ schema, authenticate, verifier });
  let fastPathAnswers = 0;

  const yoga = createYoga<RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    logging: false,
    graphiql: production
      ? false
      : { title: 'API key service', headers: options.graphiqlToken ? JSON.stringify({ Authorization: `Bearer ${options.graphiqlToken}` }) : undefined },
    maskedErrors: { maskError: createMaskError(logger) },
    plugins: [
      queryLimitsPlugin(production),
      ...((options.introspection ?? !production) ? [] : [disableIntrospectionPlugin()]),
      errorResponsePlugin(),
    ],
    context: async ({ request, requestId, client }) => {
      try {
        const principal = await authenticate(request.headers.get('authorization'));
        return createGraphQLContext({ db, verifier, feed, afterCommit, now, principal, client, requestId, checkIntegrity, ids });
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        throw new GraphQLError(error.message, {
          extensions: { code: error.code, http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
        });
      }
    },
  });

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return health(db, res);
    if (path !== '/graphql') return sendError(res, 404, 'NOT_FOUND', 'Not found: the API is at /graphql');
    if (req.method === 'POST') {
      if (rejectUnboundedBody(req, res)) return;
      const body = await readBody(req);
      const answered = fastPath?.(req, res, body) ?? false;
      if (answered === true || (answered !== false && (await answered))) {
        fastPathAnswers++;
        return;
      }
      // yoga reads an already-consumed body from req.body.
      (req as IncomingMessage & { body?: Buffer }).body = body;
    }
    return yoga(req, res, { requestId, client: clientInfoOf(req, options.trustProxy ?? false) });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const connections = trackConnections(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' || !options.host ? 'localhost' : options.host}:${port}`;

  return {
    url,
    port,
    db,
    flushUsage: () => usage?.flush() ?? Promise.resolve(),
    get fastPathAnswers() {
      return fastPathAnswers;
    },
    get feedSubscribers() {
      return feed.subscriberCount;
    },
    async close() {
      // Stop accepting, end live feeds (their clients see a normal completion), let
      // in-flight requests finish, write buffered usage, then close the database.
      await new Promise<void>((resolve) => {
        const backstop = setTimeout(() => server.closeAllConnections(), 5000);
        server.close(() => {
          clearTimeout(backstop);
          resolve();
        });
        feed.close();
        connections.closeWhenIdle();
      });
      await usage?.stop();
      await listener?.stop();
      await db.destroy();
    },
  };
}

/**
 * Counts requests in flight per socket, so shutdown can close each socket as soon
 * as it is idle. Node 20's closeIdleConnections() skips a socket that never sent a
 * request, and fetch clients leave such sockets behind after an aborted stream.
 */
function trackConnections(server: Server) {
  const busy = new Map<Socket, number>();
  let closing = false;
  const closeIfIdle = (socket: Socket) => {
    if (closing && !busy.get(socket)) socket.destroy();
  };
  server.on('connection', (socket: Socket) => {
    busy.set(socket, 0);
    socket.once('close', () => busy.delete(socket));
    closeIfIdle(socket);
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    busy.set(req.socket, (busy.get(req.socket) ?? 0) + 1);
    res.once('close', () => {
      busy.set(req.socket, (busy.get(req.socket) ?? 1) - 1);
      closeIfIdle(req.socket);
    });
  });
  return {
    closeWhenIdle() {
      closing = true;
      for (const socket of busy.keys()) closeIfIdle(socket);
    },
  };
}

/** Callers while a run is in flight share its result: a full log walk is not repeated per request. */
function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => (running ??= run().finally(() => (running = null)));
}

/** A body must announce its length, within the limit, before any of it is read. */
function rejectUnboundedBody(req: IncomingMessage, res: ServerResponse): boolean {
  const length = Number(req.headers['content-length']);
  if (req.headers['content-length'] === undefined || !Number.isFinite(length)) {
    sendError(res, 411, 'LENGTH_REQUIRED', 'Send a Content-Length header');
    return true;
  }
  if (length > MAX_BODY_BYTES) {
    sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
    return true;
  }
  return false;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

async function health(db: Db, res: ServerResponse): Promise<void> {
  try {
    await sql`select 1`.execute(db);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  } catch {
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unavailable"}');
  }
}
