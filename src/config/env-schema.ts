import { isIP } from 'node:net';
import pino from 'pino';
import { z } from 'zod';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from '../auth/authenticate';
import { ACCESS_LOG_MODES, type AccessLogMode } from '../server/request-record';
import { databaseUrlProblem } from './database-url';

// Every environment variable the service and its CLIs read, declared once: how it
// is parsed and checked, its default, and what it means. loadConfig parses with
// this schema; the README's configuration table is printed from it
// (npm run config-table), and a test keeps the two the same.

export interface SettingDoc {
  /** The default as the README shows it (Markdown); empty when unset means off or none. */
  default: string;
  /** What the setting does (Markdown, one line). */
  description: string;
}

export const settingDocs = z.registry<SettingDoc>();

/** Thrown by a parser: what is wrong, as a phrase that follows the variable's name. */
class Refused extends Error {}

interface SettingOptions {
  /** An empty value counts as unset (for settings that are off or absent by default). */
  emptyIsUnset?: boolean;
}

function setting<T>(parse: (raw: string) => T, fallback: T, doc: SettingDoc, options: SettingOptions = {}) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      if (raw === undefined || (options.emptyIsUnset && raw.trim() === '')) return fallback;
      try {
        return parse(raw);
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    })
    .register(settingDocs, doc);
}

/** A value as an error line may show it: quoted, and cut short. Never used for secrets. */
const shown = (raw: string) => JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

function boolean(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new Refused(`must be true or false (also yes/no, on/off, 1/0), not ${shown(raw)}`);
}

/** Timers take at most 2^31-1 ms; a larger value would fire at once, with only a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function wholeNumber(what: string, min: number, max: number) {
  return (raw: string): number => {
    const value = raw.trim();
    const number = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!(number >= min && number <= max)) throw new Refused(`must be a whole number of ${what} from ${min} to ${max}, not ${shown(raw)}`);
    return number;
  };
}

const LOG_LEVELS = [...Object.keys(pino.levels.values), 'silent'];

function logLevel(raw: string): string {
  const value = raw.trim().toLowerCase();
  if (!LOG_LEVELS.includes(value)) throw new Refused(`must be one of ${LOG_LEVELS.join(', ')}, not ${shown(raw)}`);
  return value;
}

function accessLogMode(raw: string): AccessLogMode {
  const value = raw.trim().toLowerCase();
  const mode = ACCESS_LOG_MODES.find((candidate) => candidate === value);
  if (!mode) throw new Refused(`must be one of ${ACCESS_LOG_MODES.join(', ')}, not ${shown(raw)}`);
  return mode;
}

const NODE_ENVS = ['production', 'development', 'test'];

function nodeEnv(raw: string): string {
  // A typo ("prod") would silently run the development mode: generated secret, GraphiQL, introspection.
  if (!NODE_ENVS.includes(raw)) throw new Refused(`must be production, development or test (or unset), not ${shown(raw)}`);
  return raw;
}

/** RFC 1123 host names; a last label of digits only is a mistyped IPv4 address, not a name. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function host(raw: string): string {
  const value = raw.trim();
  if (isIP(value) || (HOST_NAME.test(value) && !/(^|\.)\d+$/.test(value))) return value;
  throw new Refused(`must be an IP address or a host name (0.0.0.0 for every interface, 127.0.0.1 for this machine only; IPv6 without brackets), not ${shown(raw)}`);
}

function port(raw: string): number {
  const value = raw.trim();
  const number = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number <= 65535)) throw new Refused(`must be a port number from 0 to 65535 (0 picks a free one), not ${shown(raw)}`);
  return number;
}

function databaseUrl(raw: string): string {
  const problem = databaseUrlProblem(raw);
  if (problem) throw new Refused(problem);
  return raw;
}

const MIN_SECRET_LENGTH = 32;

function secret(raw: string): string {
  // Never echoed: the line that refuses it must not leak it.
  if (raw.length < MIN_SECRET_LENGTH) throw new Refused(`must be at least ${MIN_SECRET_LENGTH} characters (it is ${raw.length})`);
  return raw;
}

/** Comma-separated; a secret holding a comma cannot be listed (generate them as hex or base64url). */
function previousSecrets(raw: string): string[] {
  const secrets = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const short = secrets.findIndex((entry) => entry.length < MIN_SECRET_LENGTH);
  if (short >= 0) throw new Refused(`must be a comma-separated list of secrets of at least ${MIN_SECRET_LENGTH} characters each; entry ${short + 1} has ${secrets[short]!.length}`);
  return secrets;
}

function metricsToken(raw: string): string {
  if (!/^[A-Za-z0-9._~+/=-]{32,}$/.test(raw)) throw new Refused(`must be at least 32 characters of A-Z a-z 0-9 . _ ~ + / = - (it is ${raw.length} characters)`);
  return raw;
}

function httpUrl(raw: string): string {
  let url: URL | null = null;
  try {
    url = new URL(raw.trim());
  } catch {
    // refused below
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new Refused(`must be an http(s):// URL, not ${shown(raw)}`);
  return url.href;
}

function text(raw: string): string {
  return raw;
}

/** What INSTANCE_ID may be: it is written into every usage record and shown to operators. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

function instanceId(raw: string): string {
  if (!INSTANCE_ID_PATTERN.test(raw)) throw new Refused(`must be 1-64 letters, digits, dots, dashes or underscores, not ${shown(raw)}`);
  return raw;
}

function usageWindow(raw: string): number {
  const seconds = wholeNumber('seconds', 1, 3600)(raw);
  // Windows must tile the hour, so they roll up into hourly and daily summaries exactly.
  if (3600 % seconds !== 0) throw new Refused(`must divide an hour (3600 seconds) evenly, such as 10, 30, 60 or 300, not ${shown(raw)}`);
  return seconds;
}

const MAX_PROXY_HOPS = 10;

/** A typo here would silently trust, or distrust, every client address: refused. */
function proxyHops(raw: string): number {
  const value = raw.trim().toLowerCase();
  if (value === '' || FALSE.has(value)) return 0;
  if (TRUE.has(value)) return 1;
  if (/^\d{1,2}$/.test(value) && Number(value) <= MAX_PROXY_HOPS) return Number(value);
  throw new Refused(`must be true, false, yes, no, on, off, or the number of proxies in front of the service (0-${MAX_PROXY_HOPS}), not ${shown(raw)}`);
}

/**
 * Each exactly as a browser sends it in Origin (scheme, lowercase host, port unless
 * the default; no path, not even "/"), since they are compared as strings. "*" is
 * refused: a wildcard would let any site's pages read whatever a token they hold can see.
 */
function corsOrigins(raw: string): string[] {
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // refused below
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.origin !== origin) {
      throw new Refused(`must be a comma-separated list of origins such as https://app.example.com (http or https, no path, no trailing slash, lowercase), not ${shown(origin)}`);
    }
    return origin;
  });
}

export const DEFAULT_DATABASE_URL = './data/apikeys.db';

export const envSchema = z.object({
  PORT: setting(port, 4000, { default: '`4000`', description: 'HTTP port (`0` picks a free one)' }),
  HOST: setting(host, undefined as string | undefined, {
    default: '`127.0.0.1`, or `0.0.0.0` in production',
    description: 'interface to listen on: an IP address (IPv6 without brackets) or a host name',
  }),
  DATABASE_URL: setting(databaseUrl, DEFAULT_DATABASE_URL, {
    default: `\`${DEFAULT_DATABASE_URL}\``,
    description:
      'a SQLite file (created with its folder; also `sqlite:path`, `file:path`, `:memory:`), or `postgres://user:password@host:5432/database[?schema=name]` (`postgresql://` too; a missing schema is created when migrations run). Any other URL scheme is refused. The password is masked wherever the URL is printed',
  }),
  MIGRATE_ON_START: setting(boolean, true, { default: '`true`', description: 'apply migrations when the server starts; else `npm run migrate`' }),
  LOG_LEVEL: setting(logLevel, 'info', { default: '`info`', description: `pino level (${LOG_LEVELS.join(', ')}); logs are JSON lines on stdout, and stdout carries nothing else` }),
  ACCESS_LOG: setting(accessLogMode, 'all' as AccessLogMode, {
    default: '`all`',
    description:
      'which requests get an access-log line (at `info`): `all`; `except-verifications` (none for verifications answered 2xx, nearly all the volume at gateway rates; failed ones and every other request still logged); `off`. `/metrics` counts every request either way',
  }),
  NODE_ENV: setting(nodeEnv, undefined as string | undefined, {
    default: '',
    description: '`production` requires authentication settings, turns GraphiQL and suggestions off; else `development` or `test` (anything else is refused)',
  }),
  AUTH_JWT_SECRET: setting(
    secret,
    undefined as string | undefined,
    { default: '(development: generated in the data folder)', description: 'HS256 secret that signs tokens (`npm run token`) and verifies them, at least 32 characters' },
    { emptyIsUnset: true },
  ),
  AUTH_JWT_PREVIOUS_SECRETS: setting(
    previousSecrets,
    [] as string[],
    {
      default: '',
      description:
        'comma-separated earlier HS256 secrets (at least 32 characters each), accepted for verification only, so the secret can be rolled without downtime (see "Rolling the signing secret")',
    },
    { emptyIsUnset: true },
  ),
  AUTH_JWKS_URL: setting(
    httpUrl,
    undefined as string | undefined,
    { default: '', description: 'JWKS endpoint of your identity provider (RS256/ES256); takes precedence over the secret' },
    { emptyIsUnset: true },
  ),
  AUTH_ISSUER: setting(text, undefined as string | undefined, { default: '', description: 'required `iss`, when set' }, { emptyIsUnset: true }),
  AUTH_AUDIENCE: setting(text, undefined as string | undefined, { default: '', description: 'required `aud`, when set' }, { emptyIsUnset: true }),
  AUTH_JWKS_COOLDOWN_MS: setting(wholeNumber('milliseconds', 1, MAX_TIMER_MS), 5000, { default: '`5000`', description: 'least time between two JWKS fetches' }),
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: setting(wholeNumber('seconds', 1, 100 * 365 * 24 * 3600), DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, {
    default: '`2592000` (30 days)',
    description: "furthest a token's `exp` may lie ahead; later ones get 401",
  }),
  METRICS_TOKEN: setting(
    metricsToken,
    undefined as string | undefined,
    {
      default: '',
      description: 'bearer token (at least 32 characters) Prometheus sends to `/metrics`; unset, `/metrics` answers requests from loopback only',
    },
    { emptyIsUnset: true },
  ),
  TRUST_PROXY: setting(proxyHops, 0, {
    default: '`0`',
    description:
      'proxies in front of the service (`true`/`yes`/`on` = 1, `false`/`no`/`off` = 0, or 0-10): the client address is read from `X-Forwarded-For` that many entries from the right',
  }),
  GRAPHQL_INTROSPECTION: setting(boolean, undefined as boolean | undefined, { default: 'on, off in production', description: 'allow schema introspection' }),
  USAGE_RECORDING: setting(boolean, true, { default: '`true`', description: 'record verifications in the usage log' }),
  USAGE_WINDOW_SECONDS: setting(usageWindow, 60, {
    default: '`60`',
    description: 'the usage window (divides 3600): one record per key, principal and instance per window, written at its end. `MINUTE` series need 60 or less',
  }),
  USAGE_RETENTION_MINUTE_DAYS: setting(wholeNumber('days', 1, 36500), 2, { default: '`2`', description: 'days usage windows are kept (at least 1)' }),
  USAGE_RETENTION_HOUR_DAYS: setting(wholeNumber('days', 2, 36500), 90, {
    default: '`90`',
    description: 'days hourly summaries are kept (at least 2, and at least the minute retention); daily summaries are kept for good',
  }),
  INSTANCE_ID: setting(instanceId, undefined as string | undefined, {
    default: 'random, per start',
    description: "this instance's name in its usage records (1–64 letters, digits, `.`, `_`, `-`)",
  }),
  FEED_POLL_MS: setting(wholeNumber('milliseconds', 1, MAX_TIMER_MS), 2000, { default: '`2000`', description: 'how often the live feed looks for events it was not told of' }),
  CHANGE_STALENESS_MS: setting(wholeNumber('milliseconds', 1, MAX_TIMER_MS), 1000, {
    default: '`1000`',
    description: 'PostgreSQL: the longest a cached key answers after a change committed on another instance, even if its notification is lost',
  }),
  REQUEST_TIMEOUT_MS: setting(wholeNumber('milliseconds', 1, MAX_TIMER_MS), 30_000, { default: '`30000`', description: 'how long a request may take to arrive whole' }),
  CORS_ORIGINS: setting(
    corsOrigins,
    [] as string[],
    {
      default: '(none)',
      description:
        'comma-separated origins whose browser pages may call the API, exactly as browsers send them (`https://app.example.com,http://localhost:3000`: http(s), no path); only they get `Access-Control-Allow-Origin`, never credentials. Empty: no CORS headers at all',
    },
    { emptyIsUnset: true },
  ),
  CONSOLE: setting(boolean, true, {
    default: '`true`',
    description: 'serve the API Keys console at `/` (`false`: `/` answers 404, as it did before the console; the API is unchanged)',
  }),
  CONSOLE_EMBED_ORIGINS: setting(
    corsOrigins,
    [] as string[],
    {
      default: '(none)',
      description:
        "comma-separated origins whose pages may embed the API Keys console in a frame and hand it their users' tokens (README, *Embedding the console*); same form as `CORS_ORIGINS`. Empty: no page may frame it",
    },
    { emptyIsUnset: true },
  ),
});

export type Env = z.output<typeof envSchema>;

/** The variables in the schema's order, with their documentation: the README table. */
export function settingList(): { name: string; doc: SettingDoc }[] {
  return Object.entries(envSchema.shape).map(([name, schema]) => ({ name, doc: settingDocs.get(schema)! }));
}
