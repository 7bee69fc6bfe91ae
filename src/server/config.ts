// Everything the server reads from its environment, in one place.

export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: string;
  developmentActor: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  return {
    port,
    // Loopback only by default: until authentication lands, anyone who can reach the port can act.
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL ?? './data/apikeys.db',
    logLevel: env.LOG_LEVEL ?? 'info',
    developmentActor: env.DEV_ACTOR ?? 'developer',
  };
}
