import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, type AuthConfig } from '../auth/authenticate';
import { loadOrCreateDevelopmentSecret } from '../auth/development-secret';
import { isPostgresUrl, sqliteFileFromUrl } from '../store/database';
import type { UsageRetention } from '../usage/usage-books-state';

// Everything the server reads from its environment, in one place.

export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: string;
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
  /** PostgreSQL: how long after a change commits elsewhere a cached key may still answer (CHANGE_STALENESS_MS). */
  changeStalenessMs: number;
  /** How long a request may take to arrive whole (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
}

export class ConfigError extends Error {}

/** What INSTANCE_ID may be: it is written into every usage record and shown to operators. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A name for an instance that was given none: unique enough among the few that share a database. */
export function randomInstanceId(): string {
  return randomBytes(4).toString('hex');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, not "${env.PORT}"`);
  const production = env.NODE_ENV === 'production';
  const auth: AuthConfig = {
    jwtSecret: env.AUTH_JWT_SECRET || undefined,
    jwksUrl: env.AUTH_JWKS_URL || undefined,
    issuer: env.AUTH_ISSUER || undefined,
    audience: env.AUTH_AUDIENCE || undefined,
    jwksCooldownMs: env.AUTH_JWKS_COOLDOWN_MS ? Number(env.AUTH_JWKS_COOLDOWN_MS) : undefined,
    maxTokenLifetimeSeconds: positiveInteger('AUTH_MAX_TOKEN_LIFETIME_SECONDS', env.AUTH_MAX_TOKEN_LIFETIME_SECONDS, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS),
  };
  if (production && !auth.jwtSecret && !auth.jwksUrl) {
    throw new ConfigError('NODE_ENV=production needs AUTH_JWT_SECRET or AUTH_JWKS_URL: refusing to start without authentication');
  }
  if (auth.jwtSecret && auth.jwtSecret.length < 32) throw new ConfigError('AUTH_JWT_SECRET must be at least 32 characters');
  return {
    port,
    host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    databaseUrl: env.DATABASE_URL ?? './data/apikeys.db',
    logLevel: env.LOG_LEVEL ?? 'info',
    production,
    auth,
    trustProxy: proxyHops(env.TRUST_PROXY),
    introspection: env.GRAPHQL_INTROSPECTION === undefined ? !production : isTrue(env.GRAPHQL_INTROSPECTION),
    usageRecording: env.USAGE_RECORDING === undefined ? true : isTrue(env.USAGE_RECORDING),
    usageWindowSeconds: usageWindowSeconds(env.USAGE_WINDOW_SECONDS),
    instanceId: instanceId(env.INSTANCE_ID),
    usageRetention: usageRetention(env),
    migrateOnStart: env.MIGRATE_ON_START === undefined ? true : isTrue(env.MIGRATE_ON_START),
    feedPollMs: positiveInteger('FEED_POLL_MS', env.FEED_POLL_MS, 2000),
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    changeStalenessMs: positiveInteger('CHANGE_STALENESS_MS', env.CHANGE_STALENESS_MS, 1000),
    requestTimeoutMs: positiveInteger('REQUEST_TIMEOUT_MS', env.REQUEST_TIMEOUT_MS, 30_000),
  };
}

/** Outside production, with no secret configured, the server signs with one kept in the data folder. */
export function usesDevelopmentSecret(config: ServerConfig): boolean {
  return !config.production && !config.auth.jwtSecret && !config.auth.jwksUrl;
}

export function resolveAuthConfig(config: ServerConfig): AuthConfig {
  if (!usesDevelopmentSecret(config)) return config.auth;
  const dataDirectory = isPostgresUrl(config.databaseUrl) ? './data' : dirname(sqliteFileFromUrl(config.databaseUrl));
  return { ...config.auth, jwtSecret: loadOrCreateDevelopmentSecret(dataDirectory) };
}

/**
 * CORS_ORIGINS: comma-separated origins, each exactly as a browser sends it in Origin
 * (scheme, lowercase host, port unless the default; no path, not even "/"), since
 * they are compared as strings. "*" is refused: a wildcard would let any site's
 * pages read whatever a token they hold can see.
 */
function corsOrigins(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((entry) => {
    const origin = entry.trim();
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // refused below
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com (http or https, no path, no trailing slash, lowercase), not "${origin}"`,
      );
    }
    return origin;
  });
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new ConfigError(`${name} must be a positive whole number`);
  return number;
}

/** Windows must tile the hour, so they roll up into hourly and daily summaries exactly. */
function usageWindowSeconds(value: string | undefined): number {
  const seconds = positiveInteger('USAGE_WINDOW_SECONDS', value, 60);
  if (3600 % seconds !== 0) throw new ConfigError(`USAGE_WINDOW_SECONDS must divide an hour (3600 seconds) evenly, such as 10, 30, 60 or 300, not "${value}"`);
  return seconds;
}

function instanceId(value: string | undefined): string {
  if (value === undefined) return randomInstanceId();
  if (!INSTANCE_ID_PATTERN.test(value)) throw new ConfigError(`INSTANCE_ID must be 1-64 letters, digits, dots, dashes or underscores, not "${value}"`);
  return value;
}

/** Hourly usage is summed from windows, so it is kept at least as long as they are (and never under two days). */
function usageRetention(env: NodeJS.ProcessEnv): UsageRetention {
  const minuteDays = positiveInteger('USAGE_RETENTION_MINUTE_DAYS', env.USAGE_RETENTION_MINUTE_DAYS, 2);
  const hourDays = positiveInteger('USAGE_RETENTION_HOUR_DAYS', env.USAGE_RETENTION_HOUR_DAYS, 90);
  const least = Math.max(2, minuteDays);
  if (hourDays < least) {
    throw new ConfigError(`USAGE_RETENTION_HOUR_DAYS must be a whole number of days, at least 2 and at least USAGE_RETENTION_MINUTE_DAYS (here ${least}), not "${env.USAGE_RETENTION_HOUR_DAYS}"`);
  }
  return { minuteDays, hourDays };
}

const MAX_PROXY_HOPS = 10;

/**
 * TRUST_PROXY: yes/true means one proxy, no/false none, or a count. Anything else
 * stops the server: a typo here would silently trust, or distrust, every address.
 */
function proxyHops(value: string | undefined): number {
  const setting = value?.trim().toLowerCase() ?? '';
  if (setting === '' || setting === 'false' || setting === 'no') return 0;
  if (setting === 'true' || setting === 'yes') return 1;
  if (/^\d{1,2}$/.test(setting) && Number(setting) <= MAX_PROXY_HOPS) return Number(setting);
  throw new ConfigError(`TRUST_PROXY must be true, false, yes, no, or the number of proxies in front of the service (0-${MAX_PROXY_HOPS})`);
}

function isTrue(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}
