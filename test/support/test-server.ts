import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/create-server';

export interface TestServer extends RunningServer {
  dataDir: string;
  databaseFile: string;
  /** Posts one GraphQL operation and returns the parsed body. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLBody<T>>;
  /** SQL statements sent since the last reset. */
  statements: string[];
}

export interface GraphQLBody<T> {
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } & Record<string, unknown> }[];
}

/** A real server on an ephemeral port, on a fresh SQLite file in its own folder. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'apikeys-test-'));
  const databaseFile = join(dataDir, 'apikeys.db');
  const statements: string[] = [];
  const server = await startServer({
    port: 0,
    databaseUrl: databaseFile,
    onQuery: (sql) => statements.push(sql),
    ...options,
  });
  return {
    ...server,
    dataDir,
    databaseFile,
    statements,
    async gql(query, variables, headers = {}) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return response.json() as Promise<GraphQLBody<any>>;
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
