import pino from 'pino';
import { loadConfig } from './server/config';
import { startServer } from './server/create-server';

const config = loadConfig();
const logger = pino({ level: config.logLevel });

const server = await startServer({ ...config, logger });
logger.info({ url: `${server.url}/graphql`, database: config.databaseUrl }, 'API key service listening');
// Machine-readable line for scripts and tests that start the server on PORT=0.
console.log(`GraphQL endpoint: ${server.url}/graphql`);

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
