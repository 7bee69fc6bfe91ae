import type { IncomingMessage } from 'node:http';
import pino, { type Logger } from 'pino';
import { type AuthConfig, createAuthenticator } from '../auth/authenticate';
import { StartFailure } from '../config/start-failure';
import { schema } from '../graphql/schema';
import { createMetricsEndpoint } from '../metrics/metrics-endpoint';
import { observeServiceParts } from '../metrics/observe-parts';
import { ServerMetrics } from '../metrics/server-metrics';
import { type Db, openDatabase } from '../store/database';
import { MIGRATION_NEEDED_TO_START, pendingMigrations } from '../store/migrations';
import type { UsageRetention } from '../usage/usage-books-state';
import { clientInfoOf, verifiedClientAddress } from './client-info';
import { type ConsoleHandler, createConsoleHandler } from './console-files';
import { listenHttp } from './http-listener';
import { answerLiveness, createReadiness } from './readiness';
import { createRequestHandler } from './request-handler';
import type { AccessLogMode } from './request-record';
import { wireServiceParts } from './service-parts';
import { createVerifyFastPath } from './verify-fast-path';
import { createYogaApp } from './yoga-app';

// startServer composes the server from its parts, each in a file of its own:
// service-parts.ts (database-side parts), yoga-app.ts (GraphQL), request-handler.ts
// (routing) and http-listener.ts (sockets).

export interface ServerOptions {
  port: number;
  host?: string;
  databaseUrl: string;
  auth: AuthConfig;
  production?: boolean;
  /** Proxies you run in front of the service (true: one); X-Forwarded-For is read only from them. */
  trustProxy?: number | boolean;
  introspection?: boolean;
  /**
   * The development token: prefilled in GraphiQL's header editor and handed to the console,
   * for pages loaded from this machine alone (see isLoopbackRequest).
   */
  graphiqlToken?: string;
  /** Serve the API Keys console at / (default true); false: no console handler at all, / and /console/config answer 404. */
  console?: boolean;
  /** The built console (dist/console) served at /; unset or missing: / says it is not built. */
  consoleDir?: string | null;
  /** Origins whose pages may frame the console and post it a token (default none). */
  consoleEmbedOrigins?: string[];
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
  /** GET /metrics then needs Authorization: Bearer <metricsToken>; unset, it answers loopback clients only. */
  metricsToken?: string;
  /** Which requests get an access-log line at info (default all; see request-record.ts). */
  accessLog?: AccessLogMode;
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
  /** Whether / serves the console (it is on and was built). */
  consoleBuilt: boolean;
  /** Live feed streams open now. */
  readonly feedSubscribers: number;
  close(): Promise<void>;
}

/**
 * Starts the service. If anything fails half-way (the listener cannot connect, the
 * port is taken), what was already opened is closed again before the error is
 * thrown: no pool, timer or connection is left behind in an embedding process.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  // Before the database: an unreadable console folder stops the start before anything is migrated or opened.
  const consoleHandler =
    options.console === false
      ? undefined
      : await createConsoleHandler({ dir: options.consoleDir ?? null, developmentToken: options.graphiqlToken, embedOrigins: options.consoleEmbedOrigins ?? [] });
  const db = await openDatabase(options.databaseUrl, {
    onQuery: options.onQuery,
    migrate: options.migrateOnStart ?? true,
    onConnectionError: (error) => logger.warn({ err: error }, 'a pooled database connection failed; it is replaced on next use'),
  });
  const opened: (() => Promise<unknown> | unknown)[] = [() => db.destroy()];
  try {
    return await compose(options, logger, db, opened, consoleHandler);
  } catch (error) {
    for (const close of opened.reverse())
      await Promise.resolve()
        .then(close)
        .catch(() => undefined);
    throw error;
  }
}

async function compose(
  options: ServerOptions,
  logger: Logger,
  db: Db,
  opened: (() => Promise<unknown> | unknown)[],
  consoleHandler: ConsoleHandler | undefined,
): Promise<RunningServer> {
  // With MIGRATE_ON_START=false the operator migrates (a job, npm run migrate). A database older
  // than what starting reads cannot serve at all: one line saying so, not the first missing table's
  // name. Newer migrations pending: start, and /ready answers 503 naming them until they are applied,
  // so instances of a new release wait, out of rotation, for the migration job instead of crash-looping.
  if (options.migrateOnStart === false) {
    const pending = await pendingMigrations(db);
    if (pending.includes(MIGRATION_NEEDED_TO_START)) {
      throw new StartFailure(
        `the database lacks migrations ${pending.join(', ')} and MIGRATE_ON_START is false: run npm run migrate first (same DATABASE_URL), or start with MIGRATE_ON_START=true`,
      );
    }
    if (pending.length > 0) logger.warn({ pending }, 'migrations pending: not ready (see /ready) until npm run migrate applies them');
  }
  const production = options.production ?? false;
  const authenticate = createAuthenticator(options.auth);
  const metrics = new ServerMetrics();
  const parts = await wireServiceParts(options, logger, db, opened, { verification: metrics.verification, usage: metrics.usage });
  const { verifier, feed, usage, books } = parts;
  observeServiceParts(metrics, parts);
  const yoga = createYogaApp(parts, {
    production,
    introspection: options.introspection,
    graphiqlToken: options.graphiqlToken,
    corsOrigins: options.corsOrigins ?? [],
    logger,
    authenticate,
  });

  const verifyFastPath = options.fastPath === false ? null : createVerifyFastPath({ schema, authenticate, verifier });
  // The fast path writes no CORS headers: a listed origin's page is answered by yoga, which does.
  const corsOrigins = options.corsOrigins ?? [];
  const fastPath: typeof verifyFastPath =
    verifyFastPath && corsOrigins.length > 0
      ? (req, res, body, record, authenticate) => (corsOrigins.includes(req.headers.origin ?? '') ? false : verifyFastPath(req, res, body, record, authenticate))
      : verifyFastPath;
  let fastPathAnswers = 0;

  const clientOf = (req: IncomingMessage) => clientInfoOf(req, options.trustProxy ?? 0);
  const handle = createRequestHandler({
    logger,
    metrics,
    accessLog: options.accessLog,
    authenticate,
    fastPath,
    onFastPathAnswer: () => fastPathAnswers++,
    servesGraphiQL: !production,
    yoga: (req, res, context) => yoga(req, res, { ...context, client: clientOf(req) }),
    liveness: answerLiveness,
    readiness: createReadiness({ db, health: parts.databaseHealth, changesLive: parts.listener ? () => verifier.cache.trusted : null }),
    console: consoleHandler,
    metricsEndpoint: createMetricsEndpoint(metrics, { token: options.metricsToken, clientAddress: (req) => verifiedClientAddress(req, options.trustProxy ?? 0) }),
  });
  const http = await listenHttp(handle, { port: options.port, host: options.host, requestTimeoutMs: options.requestTimeoutMs, logger });

  return {
    url: http.url,
    port: http.port,
    db,
    consoleBuilt: consoleHandler?.built ?? false,
    flushUsage: () => usage?.flush() ?? Promise.resolve(),
    runUsageBooks: (at) => books.run(at),
    get fastPathAnswers() {
      return fastPathAnswers;
    },
    get feedSubscribers() {
      return feed.subscriberCount;
    },
    async close() {
      // Stop accepting, end live feeds, let in-flight requests finish; then write
      // buffered usage and close the database.
      await http.close(() => feed.close());
      await parts.close();
    },
  };
}
