import pino from 'pino';
import { signToken } from './auth/sign-token';
import { PERMISSIONS } from './auth/principal';
import { ConfigError, loadConfig, resolveAuthConfig, usesDevelopmentSecret } from './server/config';
import { startServer } from './server/create-server';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Not starting: ${error.message}`);
  process.exit(1);
}
const logger = pino({ level: config.logLevel });
// Last resort. Every path handles its own errors (request handler, fast path,
// pool, listener, usage flusher, feed); if one is missed anyway, it is logged with
// what is known and the service goes on: one bad request or a dropped connection
// must not take down the service every other request depends on. Only a signal ends it.
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection (bug: it should have been handled where it arose)'));
process.on('uncaughtException', (error, origin) => logger.error({ err: error, origin }, 'uncaught exception (bug: it should have been handled where it arose)'));
const auth = resolveAuthConfig(config);

// In development the server signs a token for a demo project, so the README works as written.
const DEMO_PROJECT = 'demo';
const developmentToken = usesDevelopmentSecret(config)
  ? await signToken(auth.jwtSecret!, { sub: 'developer', perms: { [DEMO_PROJECT]: PERMISSIONS.filter((permission) => permission !== 'operator') }, expiresIn: 7 * 24 * 3600 })
  : undefined;

let server;
try {
  server = await startServer({ ...config, auth, logger, graphiqlToken: developmentToken });
} catch (error) {
  // A busy port, an unreachable database…: say so and exit non-zero, so a process manager sees it.
  logger.error({ err: error }, 'could not start');
  console.error(`Not starting: ${(error as Error).message}`);
  process.exit(1);
}
logger.info({ url: `${server.url}/graphql`, database: config.databaseUrl, production: config.production, instance: config.instanceId }, 'API key service listening');
// Machine-readable line for scripts and tests that start the server on PORT=0.
console.log(`GraphQL endpoint: ${server.url}/graphql`);
if (developmentToken) {
  console.log(`Development token (every permission on project "${DEMO_PROJECT}", valid 7 days):`);
  console.log(`TOKEN=${developmentToken}`);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await server.close();
    process.exit(0);
  });
}
