import { join } from 'node:path';
import { ensureBuilt, ROOT } from '../../scripts/build.mjs';
import { PROJECT_PERMISSIONS } from '../../src/auth/principal';
import { signToken } from '../../src/auth/sign-token';
import type { ServerOptions } from '../../src/server/create-server';
import { type GraphQLBody, startTestServer, TEST_JWT_SECRET, type TestServer } from './test-server';

// A real server serving the built console (dist/console), as `npm start` runs it in
// development: with a development token for project "demo" that pages loaded from this
// machine are handed. The console is built first when dist/ is missing or stale; test
// files starting at once share one build (scripts/build.mjs builds under a lock).

export const CONSOLE_DIR = join(ROOT, 'dist', 'console');
export const DEMO_PROJECT = 'demo';
/** What src/main.ts signs the development token with: every permission on "demo" but operator. */
export const DEVELOPMENT_PERMISSIONS = PROJECT_PERMISSIONS;

export interface VerifyAnswer {
  valid: boolean;
  code: string;
  key: { id: string; projectId: string; name: string; environment: string; expiresAt: string | null } | null;
}

export interface ConsoleServer extends TestServer {
  /** A token like the development token (subject "developer"); handed to loopback pages unless started with developmentToken: false. */
  devToken: string;
  /** Asks the API whether a secret verifies now (as a caller of verifyApiKey would, with the server's token). */
  verify(secret: string): Promise<VerifyAnswer>;
  /** One GraphQL operation sent with the given bearer token. */
  gqlAs<T = any>(token: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLBody<T>>;
}

export interface ConsoleServerOptions extends Partial<ServerOptions> {
  actor?: string;
  /** Hand the development token to loopback pages (default true); false: every page shows the sign-in screen. */
  developmentToken?: boolean;
}

export async function startConsoleServer(options: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const { developmentToken = true, ...serverOptions } = options;
  await ensureBuilt();
  const devToken = await signToken(TEST_JWT_SECRET, { sub: 'developer', perms: { [DEMO_PROJECT]: [...DEVELOPMENT_PERMISSIONS] }, expiresIn: 7 * 24 * 3600 });
  const server = await startTestServer({ consoleDir: CONSOLE_DIR, ...(developmentToken ? { graphiqlToken: devToken } : {}), ...serverOptions });
  const gqlAs = <T>(token: string, query: string, variables?: Record<string, unknown>) => server.gql<T>(query, variables, { token });
  const verify = async (secret: string) => {
    const body = await server.gql<{ verifyApiKey: VerifyAnswer }>(
      'mutation ($input: VerifyApiKeyInput!) { verifyApiKey(input: $input) { valid code key { id projectId name environment expiresAt } } }',
      { input: { secret } },
    );
    if (!body.data) throw new Error(`verifyApiKey failed: ${JSON.stringify(body.errors)}`);
    return body.data.verifyApiKey;
  };
  // Added to the server itself: its counters are getters, which a copy would freeze.
  return Object.assign(server, { devToken, verify, gqlAs });
}
