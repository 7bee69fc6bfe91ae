import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import pino, { type Logger } from 'pino';
import { AuthenticationError, createAuthenticator, type AuthConfig } from '../auth/authenticate';
import { createGraphQLContext } from '../graphql/context';
import { createOpaqueIds, loadOpaqueIdSecret } from '../graphql/opaque-ids';
import { schema } from '../graphql/schema';
import { isPostgresUrl, openDatabase, openVerificationReader, type Db } from '../store/database';
import { ChangeListener } from '../store/change-notifications';
import { AuditFeed } from '../feed/audit-feed';
import type { StoredEvent } from '../../events/event-envelope';
import { IntegrityChecker } from '../store/log-integrity';
import { HeavyWork } from './heavy-work';
import { INSTANCE_ID_PATTERN, randomInstanceId } from './config';
import { corsFor, isLoopbackRequest } from './browser-access';
import { clientInfoOf, type ClientInfo } from './client-info';
import { createMaskError } from './mask-error';
import { trackConnections } from './connection-tracker';
import { createMonotonicClock } from '../domain/monotonic-clock';
import { answerLiveness, createReadiness, DatabaseHealth } from './readiness';
import { createRequestHandler } from './request-handler';
import type { Principal } from '../auth/principal';
import { logHeadRecordedAt } from '../store/event-store';
import { disableIntrospectionPlugin, queryLimitsPlugin } from './query-limits';
import { errorResponsePlugin } from './error-response-plugin';
import { requestIdOf } from './request-id';
import { createVerifyFastPath } from './verify-fast-path';
import { KeyVerifier } from '../verification/key-verifier';
import { UsageRecorder } from '../verification/usage-recorder';
import { DEFAULT_USAGE_RETENTION, type UsageRetention } from '../usage/usage-books-state';
import { UsageBooks } from '../usage/usage-books';
import { latestUsageAt } from '../usage/latest-usage';

export interface ServerOptions {
  port: number;
  host?: string;
  databaseUrl: string;
  auth: AuthConfig;
  production?: boolean;
  /** Proxies you run in front of the service (true: one); X-Forwarded-For is read only from them. */
  trustProxy?: number | boolean;
  introspection?: boolean;
  /** Prefilled in GraphiQL's header editor (development only), for requests from this machine alone (see isLoopbackRequest). */
  graphiqlToken?: string;
  /** Origins whose browser pages may call the API (exact, as sent in Origin); default none: no CORS headers. */
  corsOrigins?: string[];
  logger?: Logger;
  now?: () => Date;
  /** Called once per SQL statement; used by tests to count what a request costs. */
  onQuery?: (sql: string) => void;
  /** Record verifications in the usage log (default true). */
  usageRecording?: boolean;
  /** The usage window (default 60 s; divides an hour): buffered usage is written at each of its ends. */
  usageWindowSeconds?: number;
  /** This instance's name in its usage records (default: random, per start). */
  instanceId?: string;
  /** Most usage tallies held in memory (default 100,000); see usage-buffer.ts. */
  usageMaxTallies?: number;
  /** Days usage is kept by window, then by hour (defaults 2 and 90); day summaries are kept for good. */
  usageRetention?: UsageRetention;
  /** Answer plain verifyApiKey requests without yoga (default true); see verify-fast-path.ts. */
  fastPath?: boolean;
  /** Apply migrations on start (default true). */
  migrateOnStart?: boolean;
  /** How often the live feed looks for new events besides being told of them (default 2000 ms). */
  feedPollMs?: number;
  /**
   * PostgreSQL: the longest a cached key may answer after a change committed on
   * another instance, even if its notification was lost (default 1000 ms).
   */
  changeStalenessMs?: number;
  /** How long a request may take to arrive whole (default 30 s). */
  requestTimeoutMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  db: Db;
  /** Writes buffered usage now (tests, shutdown). */
  flushUsage(): Promise<void>;
  /** Closes due usage hours and applies retention now, as of `now` (default the server's clock); see usage-books.ts. */
  runUsageBooks(now?: number): Promise<void>;
  /** Requests answered by the verify fast path so far. */
  readonly fastPathAnswers: number;
  /** Live feed streams open now. */
  readonly feedSubscribers: number;
  close(): Promise<void>;
}

interface RequestContext {
  requestId: string;
  client: ClientInfo;
  /** Authenticated before yoga parses anything; absent only for the GraphiQL page and CORS preflights. */
  principal?: Principal;
}

/**
 * Starts the service. If anything fails half-way (the listener cannot connect, the
 * port is taken), what was already opened is closed again before the error is
 * thrown: no pool, timer or connection is left behind in an embedding process.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const db = await openDatabase(options.databaseUrl, {
    onQuery: options.onQuery,
    migrate: options.migrateOnStart ?? true,
    onConnectionError: (error) => logger.warn({ err: error }, 'a pooled database connection failed; it is replaced on next use'),
  });
  const opened: (() => Promise<unknown> | unknown)[] = [() => db.destroy()];
  try {
    return await serve(options, logger, db, opened);
  } catch (error) {
    for (const close of opened.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    throw error;
  }
}

async function serve(options: ServerOptions, logger: Logger, db: Db, opened: (() => Promise<unknown> | unknown)[]): Promise<RunningServer> {
  const production = options.production ?? false;
  const authenticate = createAuthenticator(options.auth);
  // Audit ids and cursors are encrypted with the database's own secret, the same on every instance.
  const ids = createOpaqueIds(await loadOpaqueIdSecret(db));
  // Expiry is judged, and events stamped, by a clock that never goes back, not even
  // across a restart: a key that expired must not verify again if the wall clock steps back.
  const clock = createMonotonicClock(options.now ? () => options.now!().getTime() : Date.now);
  clock.observe(await logHeadRecordedAt(db).catch(() => -Infinity));
  clock.observe(await latestUsageAt(db).catch(() => -Infinity));
  const now = () => new Date(clock());
  const databaseHealth = new DatabaseHealth();
  const feed = new AuditFeed(db, { logger, pollMs: options.feedPollMs });
  opened.push(() => feed.close());
  // Usage has a log of its own: no cached key depends on it and the audit feed does not carry it, so a
  // committed write only tells the health check that the database answers.
  const instance = options.instanceId ?? randomInstanceId();
  if (!INSTANCE_ID_PATTERN.test(instance)) throw new Error('instanceId must be 1-64 letters, digits, dots, dashes or underscores');
  const windowSeconds = options.usageWindowSeconds ?? 60;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || 3600 % windowSeconds !== 0) throw new Error('usageWindowSeconds must be a whole number of seconds that divides an hour');
  const usageSettings = { retention: options.usageRetention ?? DEFAULT_USAGE_RETENTION, windowMs: windowSeconds * 1000 };
  const usage =
    options.usageRecording === false
      ? null
      : new UsageRecorder(db, {
          windowMs: windowSeconds * 1000,
          instance,
          now: clock,
          maxTallies: options.usageMaxTallies,
          logger,
          afterCommit: () => databaseHealth.succeeded(),
          onError: (error) => databaseHealth.failed(error),
        });
  usage?.start();
  opened.push(() => usage?.stop());
  const books = new UsageBooks(db, { retention: usageSettings.retention, now: clock, logger });
  books.start();
  opened.push(() => books.stop());
  const verificationReads = await openVerificationReader(options.databaseUrl, db, {
    onQuery: options.onQuery,
    onConnectionError: (error) => logger.warn({ err: error }, 'a pooled verification connection failed; it is replaced on next use'),
  });
  if (verificationReads !== db) opened.push(() => verificationReads.destroy());
  const verifier = new KeyVerifier(verificationReads, usage, clock);
  // Every command of this server: the key cache learns of changed keys, the live feed of new events.
  const afterCommit = (events: StoredEvent[]) => {
    databaseHealth.succeeded();
    verifier.afterCommit(events);
    void feed.poke();
  };
  // Other instances' changes reach this cache and feed through LISTEN/NOTIFY. The
  // cache answers only while the channel has confirmed, within the last
  // changeStalenessMs, that it delivered everything committed before; otherwise
  // verification reads the database. So no key is accepted longer than that after
  // its deactivation commits anywhere, even if a notification is lost.
  const stalenessMs = options.changeStalenessMs ?? 1000;
  const listener = isPostgresUrl(options.databaseUrl)
    ? new ChangeListener(
        options.databaseUrl,
        {
          keyChanged: (keyId) => verifier.cache.invalidate(keyId),
          logAppended: (recordedAt) => {
            if (recordedAt !== null) clock.observe(recordedAt);
            void feed.poke();
          },
          disconnected: () => verifier.cache.distrust(),
          connected: () => void feed.poke(),
          confirmed: (sentAt) => verifier.cache.confirm(sentAt, stalenessMs),
        },
        logger,
        { heartbeatMs: Math.max(10, Math.floor(stalenessMs / 4)), silentMs: Math.max(3 * stalenessMs, 2000) },
      )
    : null;
  if (listener) {
    verifier.cache.distrust();
    opened.push(() => listener.stop());
    await listener.start();
  }
  // Reads that fold or walk the log run in short slices through one small queue, so
  // one tenant looping them cannot starve verifications or other tenants (heavy-work.ts).
  const heavyWork = new HeavyWork({ concurrency: 1, maxWaiting: 20 });
  const integrity = new IntegrityChecker(db, { now, slices: heavyWork.slice });
  const checkIntegrity = ({ full }: { full: boolean }) => {
    heavyWork.admit();
    return integrity.check(full);
  };
  const verifyFastPath = options.fastPath === false ? null : createVerifyFastPath({ schema, authenticate, verifier });
  // The fast path writes no CORS headers: a listed origin's page is answered by yoga, which does.
  const corsOrigins = options.corsOrigins ?? [];
  const fastPath: typeof verifyFastPath =
    verifyFastPath && corsOrigins.length > 0
      ? (req, res, body) => (corsOrigins.includes(req.headers.origin ?? '') ? false : verifyFastPath(req, res, body))
      : verifyFastPath;
  let fastPathAnswers = 0;

  const yoga = createYoga<RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    logging: false,
    cors: corsFor(corsOrigins),
    // The development token only for a page asked for on this machine: DNS rebinding
    // would otherwise hand it to any site whose page can reach 127.0.0.1.
    graphiql: production
      ? false
      : (request) => ({
          title: 'API key service',
          headers:
            options.graphiqlToken && isLoopbackRequest(request) ? JSON.stringify({ Authorization: `Bearer ${options.graphiqlToken}` }) : undefined,
        }),
    maskedErrors: { maskError: createMaskError((error) => databaseHealth.failed(error)) },
    plugins: [
      queryLimitsPlugin(production),
      ...((options.introspection ?? !production) ? [] : [disableIntrospectionPlugin()]),
      errorResponsePlugin(logger),
    ],
    context: async ({ request, requestId, client, principal: authenticated }) => {
      try {
        const principal = authenticated ?? (await authenticate(request.headers.get('authorization')));
        return createGraphQLContext({ db, verifier, feed, afterCommit, now, principal, client, requestId, checkIntegrity, heavyWork, ids, usage: usageSettings, signal: request.signal });
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        throw new GraphQLError(error.message, {
          extensions: { code: error.code, http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
        });
      }
    },
  });

  const handle = createRequestHandler({
    logger,
    authenticate,
    fastPath,
    onFastPathAnswer: () => fastPathAnswers++,
    servesGraphiQL: !production,
    yoga: (req, res, context) => yoga(req, res, { ...context, client: clientInfoOf(req, options.trustProxy ?? 0) }),
    liveness: answerLiveness,
    readiness: createReadiness({ db, health: databaseHealth, changesLive: listener ? () => verifier.cache.trusted : null }),
  });
  const server = createServer(handle);
  // A client that connects and sends garbage, or nothing, is answered or dropped, never a crash.
  server.on('clientError', (error, socket) => {
    if (socket.writable && !(error as { code?: string }).code?.startsWith('ERR_HTTP_REQUEST_TIMEOUT')) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    socket.destroy();
  });
  // A body that stops arriving ends the request after requestTimeoutMs (readBody then rejects).
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.headersTimeout = Math.min(10_000, server.requestTimeout);
  const connections = trackConnections(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  // After listening, a server error (say, out of file descriptors) is logged, not thrown.
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' || !options.host ? 'localhost' : options.host}:${port}`;

  return {
    url,
    port,
    db,
    flushUsage: () => usage?.flush() ?? Promise.resolve(),
    runUsageBooks: (at) => books.run(at),
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
      await books.stop();
      await listener?.stop();
      if (verificationReads !== db) await verificationReads.destroy();
      await db.destroy();
    },
  };
}
