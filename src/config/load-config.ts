import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { AuthConfig } from '../auth/authenticate';
import { loadOrCreateDevelopmentSecret } from '../auth/development-secret';
import type { AccessLogMode } from '../server/request-record';
import type { UsageRetention } from '../usage/usage-books-state';
import { isPostgresUrl, sqliteFileFromUrl } from './database-url';
import { envSchema } from './env-schema';

export { INSTANCE_ID_PATTERN } from './env-schema';

// Everything the server reads from its environment, parsed by the one schema in
// env-schema.ts, plus the checks that span several variables.

export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: string;
  /** Which requests get an access-log line (ACCESS_LOG). */
  accessLog: AccessLogMode;
  production: boolean;
  auth: AuthConfig;
  /**
   * How many proxies you run in front of the service (TRUST_PROXY); the client
   * address is read from X-Forwarded-For that many entries from the right. 0 ignores it.
   */
  trustProxy: number;
  introspection: boolean;
  usageRecording: boolean;
  /** The usage window (USAGE_WINDOW_SECONDS): one usage record per key, principal, window and instance. */
  usageWindowSeconds: number;
  /** This instance's name in the usage records it writes (INSTANCE_ID); random per start unless set. */
  instanceId: string;
  /** Days usage is kept by window, then by hour (USAGE_RETENTION_*_DAYS); day summaries are kept for good. */
  usageRetention: UsageRetention;
  /** Apply migrations when the server starts (MIGRATE_ON_START, default true); else run `npm run migrate`. */
  migrateOnStart: boolean;
  /** How often the live audit feed checks for events it was not told of (FEED_POLL_MS). */
  feedPollMs: number;
  /** Origins whose browser pages may call the API (CORS_ORIGINS); empty: none, no CORS headers at all. */
  corsOrigins: string[];
  /** Serve the API Keys console at / (CONSOLE, default true); false: / answers 404 and the API is unchanged. */
  console: boolean;
  /** Origins whose pages may frame the console and post it tokens (CONSOLE_EMBED_ORIGINS). */
  consoleEmbedOrigins: string[];
  /** PostgreSQL: how long after a change commits elsewhere a cached key may still answer (CHANGE_STALENESS_MS). */
  changeStalenessMs: number;
  /** How long a request may take to arrive whole (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** The bearer token Prometheus sends to /metrics (METRICS_TOKEN); unset, /metrics answers loopback only. */
  metricsToken?: string;
}

/** A setting is wrong; the message names it and says what is expected, on one line. */
export class ConfigError extends Error {}

/** A name for an instance that was given none: unique enough among the few that share a database. */
export function randomInstanceId(): string {
  return randomBytes(4).toString('hex');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = envSchema.safeParse(env);
  // Every wrong setting at once, on one line: an operator fixes them in one go.
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues));
  const settings = parsed.data;
  const production = settings.NODE_ENV === 'production';
  const auth: AuthConfig = {
    jwtSecret: settings.AUTH_JWT_SECRET,
    previousJwtSecrets: settings.AUTH_JWT_PREVIOUS_SECRETS,
    jwksUrl: settings.AUTH_JWKS_URL,
    issuer: settings.AUTH_ISSUER,
    audience: settings.AUTH_AUDIENCE,
    jwksCooldownMs: settings.AUTH_JWKS_COOLDOWN_MS,
    maxTokenLifetimeSeconds: settings.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
  };
  if (production && !auth.jwtSecret && !auth.jwksUrl) {
    throw new ConfigError('NODE_ENV=production needs AUTH_JWT_SECRET or AUTH_JWKS_URL: refusing to start without authentication');
  }
  if (settings.AUTH_JWT_PREVIOUS_SECRETS.length > 0 && (!auth.jwtSecret || auth.jwksUrl)) {
    throw new ConfigError('AUTH_JWT_PREVIOUS_SECRETS is read only beside AUTH_JWT_SECRET (the secret that signs now), and not with AUTH_JWKS_URL');
  }
  const { USAGE_RETENTION_MINUTE_DAYS: minuteDays, USAGE_RETENTION_HOUR_DAYS: hourDays } = settings;
  // Hourly usage is summed from windows, so it is kept at least as long as they are.
  if (hourDays < minuteDays) {
    throw new ConfigError(`USAGE_RETENTION_HOUR_DAYS must be at least USAGE_RETENTION_MINUTE_DAYS (here ${minuteDays}), not ${hourDays}`);
  }
  return {
    port: settings.PORT,
    host: settings.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    databaseUrl: settings.DATABASE_URL,
    logLevel: settings.LOG_LEVEL,
    accessLog: settings.ACCESS_LOG,
    production,
    auth,
    trustProxy: settings.TRUST_PROXY,
    introspection: settings.GRAPHQL_INTROSPECTION ?? !production,
    usageRecording: settings.USAGE_RECORDING,
    usageWindowSeconds: settings.USAGE_WINDOW_SECONDS,
    instanceId: settings.INSTANCE_ID ?? randomInstanceId(),
    usageRetention: { minuteDays, hourDays },
    migrateOnStart: settings.MIGRATE_ON_START,
    feedPollMs: settings.FEED_POLL_MS,
    corsOrigins: settings.CORS_ORIGINS,
    console: settings.CONSOLE,
    consoleEmbedOrigins: settings.CONSOLE_EMBED_ORIGINS,
    changeStalenessMs: settings.CHANGE_STALENESS_MS,
    requestTimeoutMs: settings.REQUEST_TIMEOUT_MS,
    ...(settings.METRICS_TOKEN && { metricsToken: settings.METRICS_TOKEN }),
  };
}

const describeIssues = (issues: readonly { path: readonly PropertyKey[]; message: string }[], name?: string) =>
  issues.map((issue) => `${name ?? String(issue.path[0])} ${issue.message}`).join('; ');

/**
 * DATABASE_URL alone, checked by the same schema, for the CLIs that need nothing
 * else (migrate, rebuild, backup, verify-log): they run whatever NODE_ENV and the
 * authentication settings say.
 */
export function loadDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const parsed = envSchema.shape.DATABASE_URL.safeParse(env.DATABASE_URL);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, 'DATABASE_URL'));
  return parsed.data;
}

/**
 * For a command-line entry point: what `load` reads, or one line on stderr,
 * `<prefix>: <what is wrong>`, and exit status 1. No stack trace: the
 * message says all an operator needs.
 */
export function loadOrExit<T>(prefix: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${prefix}: ${error.message}`);
    process.exit(1);
  }
}

export const loadConfigOrExit = (prefix: string, env: NodeJS.ProcessEnv = process.env): ServerConfig => loadOrExit(prefix, () => loadConfig(env));

/** Outside production, with no secret configured, the server signs with one kept in the data folder. */
export function usesDevelopmentSecret(config: ServerConfig): boolean {
  return !config.production && !config.auth.jwtSecret && !config.auth.jwksUrl;
}

export function resolveAuthConfig(config: ServerConfig): AuthConfig {
  if (!usesDevelopmentSecret(config)) return config.auth;
  const dataDirectory = isPostgresUrl(config.databaseUrl) ? './data' : dirname(sqliteFileFromUrl(config.databaseUrl));
  return { ...config.auth, jwtSecret: loadOrCreateDevelopmentSecret(dataDirectory) };
}
