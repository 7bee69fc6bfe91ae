import { PERMISSIONS, type Permission } from '../../src/auth/principal';
import { signToken } from '../../src/auth/sign-token';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/create-server';
import { createTestDatabase } from './test-database';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface RequestOptions {
  /** Bearer token to send; null sends none. Defaults to the server's own all-permission token. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface TestServer extends RunningServer {
  /** The folder of the SQLite file; null on PostgreSQL. */
  dataDir: string | null;
  /** Pass as databaseUrl to start a second server on the same database. */
  databaseUrl: string;
  /** A token with every permission on every project, acting as the server's test actor. */
  token: string;
  tokenFor(sub: string, perms: Record<string, Permission[]>, expiresIn?: number): Promise<string>;
  /** Posts one GraphQL operation and returns the parsed body. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<GraphQLBody<T>>;
  /** Same, also returning the HTTP response for status and headers. */
  post(body: unknown, options?: RequestOptions): Promise<Response>;
  /** SQL statements sent since the last reset. */
  statements: string[];
}

export interface GraphQLBody<T> {
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } & Record<string, unknown> }[];
}

/**
 * A real server on an ephemeral port, on a database of its own (a fresh SQLite
 * file, or a fresh PostgreSQL schema), unless given the databaseUrl of another.
 */
export async function startTestServer(options: Partial<ServerOptions> & { actor?: string } = {}): Promise<TestServer> {
  const { actor = 'tester', ...serverOptions } = options;
  const own = serverOptions.databaseUrl ? null : await createTestDatabase();
  const databaseUrl = serverOptions.databaseUrl ?? own!.url;
  const statements: string[] = [];
  const server = await startServer({
    port: 0,
    databaseUrl,
    auth: { jwtSecret: TEST_JWT_SECRET },
    onQuery: (sql) => statements.push(sql),
    ...serverOptions,
  });
  const tokenFor = (sub: string, perms: Record<string, Permission[]>, expiresIn = 3600) => signToken(TEST_JWT_SECRET, { sub, perms, expiresIn });
  const token = await tokenFor(actor, { '*': [...PERMISSIONS] });

  const post = (body: unknown, { token: bearer = token, headers = {} }: RequestOptions = {}) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  return {
    ...server,
    dataDir: own?.dir ?? null,
    databaseUrl,
    statements,
    token,
    tokenFor,
    post,
    get fastPathAnswers() {
      return server.fastPathAnswers;
    },
    get feedSubscribers() {
      return server.feedSubscribers;
    },
    async gql(query, variables, requestOptions) {
      const response = await post({ query, variables }, requestOptions);
      return response.json() as Promise<GraphQLBody<any>>;
    },
    async close() {
      await server.close();
      await own?.cleanup();
    },
  };
}
