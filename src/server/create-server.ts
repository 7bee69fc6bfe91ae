import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { createYoga } from 'graphql-yoga';
import pino, { type Logger } from 'pino';
import { schema } from '../graphql/schema';
import { createGraphQLContext } from '../graphql/context';
import { openDatabase, type Db } from '../store/database';
import { createMaskError } from './mask-error';
import { redactSecretsPlugin } from './redact-secrets-plugin';
import { requestIdOf } from './request-id';

export interface ServerOptions {
  port: number;
  host?: string;
  databaseUrl: string;
  developmentActor?: string;
  logger?: Logger;
  now?: () => Date;
  /** Called once per SQL statement; used by tests to count what a request costs. */
  onQuery?: (sql: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  db: Db;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const now = options.now ?? (() => new Date());
  const db = await openDatabase(options.databaseUrl, { onQuery: options.onQuery });
  const principal = { subject: options.developmentActor ?? 'developer' };

  const yoga = createYoga<{ requestId: string }>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    logging: false,
    maskedErrors: { maskError: createMaskError(logger) },
    plugins: [redactSecretsPlugin()],
    context: ({ requestId }) => createGraphQLContext({ db, now, principal, requestId }),
  });

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return health(db, res);
    if (path === '/graphql') return yoga(req, res, { requestId });
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });

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
    async close() {
      // Stop accepting, let in-flight requests finish, then close the database.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await db.destroy();
    },
  };
}

async function health(db: Db, res: ServerResponse): Promise<void> {
  try {
    await sql`select 1`.execute(db);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  } catch {
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unavailable"}');
  }
}
