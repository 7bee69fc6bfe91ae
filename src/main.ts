import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { PROJECT_PERMISSIONS } from './auth/principal';
import { signToken } from './auth/sign-token';
import { loadConfigOrExit, resolveAuthConfig, usesDevelopmentSecret } from './config/load-config';
import { maskUrl } from './config/mask-url';
import { explainStartFailure } from './config/start-failure';
import { type RunningServer, startServer } from './server/create-server';

// stdout carries the JSON log and nothing else, so a log shipper can parse every
// line; what a person starting the server reads (the endpoint, the development
// token, why it did not start) goes to stderr.

const config = loadConfigOrExit('Not starting');
const logger = pino({ level: config.logLevel });
// Last resort. Every path handles its own errors (request handler, fast path,
// pool, listener, usage flusher, feed); if one is missed anyway, it is logged with
// what is known and the service goes on: one bad request or a dropped connection
// must not take down the service every other request depends on. Only a signal ends it.
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection (bug: it should have been handled where it arose)'));
process.on('uncaughtException', (error, origin) => logger.error({ err: error, origin }, 'uncaught exception (bug: it should have been handled where it arose)'));

// In development the server signs a token for a demo project, so the README works as written.
const DEMO_PROJECT = 'demo';
const database = maskUrl(config.databaseUrl);

/** dist/console: beside this file once bundled (dist/main.js), under the package root when run from src/ (npm run dev). */
function builtConsoleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(here) === 'dist' ? join(here, 'console') : join(here, '..', 'dist', 'console');
}

let server: RunningServer;
let developmentToken: string | undefined;
try {
  const auth = resolveAuthConfig(config);
  developmentToken = usesDevelopmentSecret(config)
    ? await signToken(auth.jwtSecret!, { sub: 'developer', perms: { [DEMO_PROJECT]: [...PROJECT_PERMISSIONS] }, expiresIn: 7 * 24 * 3600 })
    : undefined;
  server = await startServer({ ...config, auth, logger, graphiqlToken: developmentToken, consoleDir: builtConsoleDir() });
} catch (error) {
  // A busy port, an unreachable database, an unwritable data folder…: one line that
  // says which and what to do, and a non-zero exit a process manager sees.
  const reason = explainStartFailure(error, config);
  if (reason) logger.fatal({ reason, database }, 'not starting');
  // Not a cause we know: a bug, and whoever reports it needs the whole error (in the log only).
  else logger.fatal({ err: error, database }, 'not starting');
  console.error(`Not starting: ${reason ?? (error as Error).message?.split('\n')[0]?.split(config.databaseUrl).join(database)}`);
  process.exit(1);
}
// Before the lines below: a script that stops the server as soon as it reads them must stop it cleanly.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // A close that fails (say, usage could not be written) is logged and the process still ends,
    // non-zero, so the process manager sees it: a stop must never leave the service half-closed.
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stopping failed');
        process.exit(1);
      },
    );
  });
}
logger.info({ url: `${server.url}/graphql`, database, production: config.production, instance: config.instanceId }, 'API key service listening');
// For people and for scripts that start the server on PORT=0 (they read these lines from stderr).
console.error(`GraphQL endpoint: ${server.url}/graphql`);
if (config.console) console.error(`API Keys console: ${server.consoleBuilt ? `${server.url}/` : 'not built (npm run build shows why)'}`);
if (developmentToken) {
  console.error(`Development token: a bearer token with every permission on project "${DEMO_PROJECT}", valid 7 days (send it as Authorization: Bearer <token>):`);
  console.error(`TOKEN=${developmentToken}`);
}
