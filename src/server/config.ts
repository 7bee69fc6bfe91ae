import { dirname } from 'node:path';
import type { AuthConfig } from '../auth/authenticate';
import { loadOrCreateDevelopmentSecret } from '../auth/development-secret';
import { isPostgresUrl, sqliteFileFromUrl } from '../store/database';

// Everything the server reads from its environment, in one place.

export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: string;
  production: boolean;
  auth: AuthConfig;
  /** Take the client address from X-Forwarded-For (only behind a proxy you run). */
  trustProxy: boolean;
  introspection: boolean;
  usageRecording: boolean;
  usageFlushMs: number;
  /** Apply migrations when the server starts (MIGRATE_ON_START, default true); else run `npm run migrate`. */
  migrateOnStart: boolean;
  /** How often the live audit feed checks for events it was not told of (FEED_POLL_MS). */
  feedPollMs: number;
}

export class ConfigError extends Error {}

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
    trustProxy: isTrue(env.TRUST_PROXY),
    introspection: env.GRAPHQL_INTROSPECTION === undefined ? !production : isTrue(env.GRAPHQL_INTROSPECTION),
    usageRecording: env.USAGE_RECORDING === undefined ? true : isTrue(env.USAGE_RECORDING),
    usageFlushMs: positiveInteger('USAGE_FLUSH_MS', env.USAGE_FLUSH_MS, 1000),
    migrateOnStart: env.MIGRATE_ON_START === undefined ? true : isTrue(env.MIGRATE_ON_START),
    feedPollMs: positiveInteger('FEED_POLL_MS', env.FEED_POLL_MS, 2000),
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

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new ConfigError(`${name} must be a positive whole number`);
  return number;
}

function isTrue(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}
