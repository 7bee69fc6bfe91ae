import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configTable, tableInReadme } from '../../src/config/config-table';
import { ConfigError, loadConfig } from '../../src/config/load-config';
import { maskUrl } from '../../src/config/mask-url';

// What the server reads from its environment: settings an operator gets wrong must
// stop it at start, with a message naming the setting, never start it half-right.

const SECRET = 's'.repeat(40);

describe('TRUST_PROXY: how many proxies run in front of the service', () => {
  it.each([
    [undefined, 0],
    ['', 0],
    ['0', 0],
    ['false', 0],
    ['FALSE', 0],
    ['no', 0],
    ['No', 0],
    ['off', 0],
    ['1', 1],
    ['true', 1],
    ['True', 1],
    ['YES', 1],
    ['on', 1],
    ['2', 2],
    ['10', 10],
  ])('%j means %i trusted hops', (value, hops) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toBe(hops);
  });

  it.each(['11', '-1', '1.5', '2e0', 'maybe', '0x1', 'true,1', '999999999999'])('%j refuses to start', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/^TRUST_PROXY must be/);
  });
});

describe('AUTH_MAX_TOKEN_LIFETIME_SECONDS', () => {
  it('defaults to 30 days', () => {
    expect(loadConfig({}).auth.maxTokenLifetimeSeconds).toBe(2_592_000);
  });

  it('takes a positive whole number of seconds', () => {
    expect(loadConfig({ AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600' }).auth.maxTokenLifetimeSeconds).toBe(3600);
  });

  it.each(['0', '-5', '1.5', 'forever', '1e400', ''])('%j refuses to start', (value) => {
    expect(() => loadConfig({ AUTH_MAX_TOKEN_LIFETIME_SECONDS: value })).toThrow(/^AUTH_MAX_TOKEN_LIFETIME_SECONDS must be a whole number of seconds from 1 to/);
  });
});

describe('booleans', () => {
  const names = ['MIGRATE_ON_START', 'GRAPHQL_INTROSPECTION', 'USAGE_RECORDING', 'CONSOLE'] as const;
  const field = { MIGRATE_ON_START: 'migrateOnStart', GRAPHQL_INTROSPECTION: 'introspection', USAGE_RECORDING: 'usageRecording', CONSOLE: 'console' } as const;

  it.each(names.flatMap((name) => ['true', 'TRUE', 'True', 'yes', 'YES', 'on', 'On', '1', ' true '].map((value) => [name, value])))('%s=%j means true', (name, value) => {
    expect(loadConfig({ [name]: value })[field[name as (typeof names)[number]]]).toBe(true);
  });

  it.each(names.flatMap((name) => ['false', 'FALSE', 'no', 'No', 'off', 'OFF', '0'].map((value) => [name, value])))('%s=%j means false', (name, value) => {
    expect(loadConfig({ [name]: value })[field[name as (typeof names)[number]]]).toBe(false);
  });

  it.each(names.flatMap((name) => ['', 'maybe', 'enabled', '2', 'y', 'truee'].map((value) => [name, value])))('%s=%j refuses to start', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be true or false \\(also yes/no, on/off, 1/0\\), not ${JSON.stringify(value)}$`));
  });
});

describe('numbers, levels, hosts, environments', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', ''],
    ['AUTH_JWKS_COOLDOWN_MS', 'abc'],
    ['AUTH_JWKS_COOLDOWN_MS', '0'],
    ['FEED_POLL_MS', '2147483648'],
    ['REQUEST_TIMEOUT_MS', '1.5'],
    ['CHANGE_STALENESS_MS', 'NaN'],
    ['USAGE_RETENTION_MINUTE_DAYS', 'Infinity'],
  ])('%s=%j refuses to start, naming the variable (never NaN)', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be`));
  });

  it('reads numbers as numbers', () => {
    const config = loadConfig({ PORT: '8080', AUTH_JWKS_COOLDOWN_MS: '250', FEED_POLL_MS: '100' });
    expect(config).toMatchObject({ port: 8080, auth: { jwksCooldownMs: 250 }, feedPollMs: 100 });
  });

  it.each(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent', 'WARN'])('LOG_LEVEL=%s is a pino level', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level.toLowerCase());
  });

  it.each(['verbose', 'warning', '', '30'])('LOG_LEVEL=%j refuses to start', (level) => {
    expect(() => loadConfig({ LOG_LEVEL: level })).toThrow(/^LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent/);
  });

  it.each(['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'api.internal', 'my-host-1'])('HOST=%s is accepted', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it.each(['999.1.1.1', '1.2.3', '[::1]', 'http://localhost', 'under_score', '-bad', '', 'a b'])('HOST=%j refuses to start', (host) => {
    expect(() => loadConfig({ HOST: host })).toThrow(/^HOST must be an IP address or a host name/);
  });

  it.each(['prod', 'Production', 'staging'])('NODE_ENV=%s refuses to start: a typo would run the development mode', (value) => {
    expect(() => loadConfig({ NODE_ENV: value })).toThrow(/^NODE_ENV must be production, development or test/);
  });

  it('reports every wrong setting at once, on one line', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(/^PORT must be [^\n]*; LOG_LEVEL must be [^\n]*$/);
  });
});

describe('DATABASE_URL', () => {
  it.each([
    './data/apikeys.db',
    '/var/lib/apikeys/apikeys.db',
    'apikeys.db',
    ':memory:',
    'sqlite:./x.db',
    'file:./x.db',
    'file:///var/lib/x.db',
    'postgres://user:pw@db.internal:5432/apikeys',
    'postgresql://user@db/apikeys?schema=tenant_1',
    'POSTGRES://user@db/apikeys',
  ])('%s is accepted', (url) => {
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it.each(['mysql://root:pw@127.0.0.1/db', 'http://example.com/db', 'postgres:/db', 'postgress://u@h/db', 'sqlserver://h', 'redis://h', 'sqlite:', ''])(
    '%j is refused, listing the accepted forms',
    (url) => {
      expect(() => loadConfig({ DATABASE_URL: url })).toThrow(/^DATABASE_URL .*accepted: postgres:\/\/user:password@host:5432\/database/);
    },
  );

  it('ACCESS_LOG takes all, except-verifications or off, and refuses anything else', () => {
    expect(loadConfig({}).accessLog).toBe('all');
    expect(loadConfig({ ACCESS_LOG: 'Except-Verifications' }).accessLog).toBe('except-verifications');
    expect(() => loadConfig({ ACCESS_LOG: 'verbose' })).toThrow(/^ACCESS_LOG must be one of all, except-verifications, off, not "verbose"$/);
  });

  it('refuses a ?schema= that is not a plain lowercase name', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db?schema=Bad-Name' })).toThrow(/^DATABASE_URL .*schema=Bad-Name: a schema name must be lowercase/);
  });

  // Each holds the password "s3cretPW" where a URL parser would not look for one.
  const UNPARSED_PASSWORDS = [
    'postgres://app:pa/s3cretPW@db/apikeys',
    'postgres://app:pa#s3cretPW@db/apikeys',
    'postgres://app:pa?s3cretPW@db/apikeys',
    'postgres://app:s3cretPW/x@db/apikeys',
    'postgres:/app:s3cretPW@db/apikeys',
    'postgresql:app:s3cretPW@db/apikeys',
    'postgres://u:123/s3cretPW@h/db',
    'postgres://u:123?s3cretPW@h/db',
    'postgres://u:123#s3cretPW@h/db',
    'postgres://app:s3cretPW@db:notaport/apikeys',
    // Not URLs at all, so they would have been SQLite paths, printed whole as the file's name.
    'postgres//app:s3cretPW@db/apikeys',
    ' postgres://app:s3cretPW@db/apikeys',
    'postgres://app:s3cretPW@db/apikeys\n',
    './data//app:s3cretPW@db.db',
  ];

  it.each(UNPARSED_PASSWORDS)('%s is refused without showing the password', (url) => {
    expect(() => loadConfig({ DATABASE_URL: url })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: url })).not.toThrow(/s3cretPW/);
  });

  it('refuses an @ after the host (an unencoded password that parsed as a port and a path), saying to percent-encode', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:123/s3cretPW@h/db' })).toThrow(/^DATABASE_URL "postgres:\/\/u:\*\*\*@h\/db" has an @ after the host: .*percent-encode/);
  });

  it('accepts an @ that is percent-encoded, in the password or a query value', () => {
    for (const url of ['postgres://u:pa%2Fss%40x@h/db', 'postgres://u@h/db?application_name=me%40host']) expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it('never shows the password in the refusal', () => {
    for (const url of ['mysql://root:hunter2@h/db', 'postgres://root:hunter2@h:port/db', 'postgres://root:hunter2@h/db?schema=X']) {
      expect(() => loadConfig({ DATABASE_URL: url })).toThrow(ConfigError);
      expect(() => loadConfig({ DATABASE_URL: url })).not.toThrow(/hunter2/);
    }
  });
});

describe('maskUrl: the one way a database URL is printed', () => {
  it.each([
    ['postgres://u:p%40ss@h:5432/db?schema=x', 'postgres://u:***@h:5432/db?schema=x'],
    ['postgresql://:pw@h/db', 'postgresql://:***@h/db'],
    ['postgres://u:pw@h:notaport/db', 'postgres://u:***@h:notaport/db'],
    ['postgres://app:pa/ss@db/apikeys', 'postgres://app:***@db/apikeys'],
    ['postgres:/app:s3cretPW@db/apikeys', 'postgres:/app:***@db/apikeys'],
    ['postgresql:app:s3cretPW@db/apikeys', 'postgresql:app:***@db/apikeys'],
    ['postgres://u:123/abc@h/db', 'postgres://u:***@h/db'],
    ['postgres://u@h/db?sslmode=require&password=s3cretPW', 'postgres://u@h/db?sslmode=require&password=***'],
    ['postgres://h/db?PASSWORD=s3cretPW&schema=x', 'postgres://h/db?PASSWORD=***&schema=x'],
    ['postgres://u@h/db', 'postgres://u@h/db'],
    ['./data/apikeys.db', './data/apikeys.db'],
    [':memory:', ':memory:'],
  ])('%s prints as %s', (url, shown) => {
    expect(maskUrl(url)).toBe(shown);
  });

  it.each([
    'postgres://app:pa/s3cretPW@db/apikeys',
    'postgres://app:pa#s3cretPW@db/apikeys',
    'postgres://app:pa?s3cretPW@db/apikeys',
    'postgres://app:s3cretPW/x@db/apikeys',
    'postgres://app:p@s3cretPW@db/apikeys',
    'postgres:/app:s3cretPW@db/apikeys',
    'postgresql:app:s3cretPW@db/apikeys',
    'postgres://u:123/s3cretPW@h/db',
    'postgres://u:123?s3cretPW@h/db',
    'postgres://app:s3cretPW@db:notaport/apikeys',
    'postgres://u@h/db?password=s3cretPW',
    'postgres://u@h/db?x=1&password=s3cretPW#frag',
    ' postgres://app:s3cretPW@db/apikeys',
    'mysql://root:s3cretPW@h/db',
    'app:s3cretPW@db/apikeys',
    'postgres//app:s3cretPW@db/apikeys',
  ])('%s prints without its password', (url) => {
    expect(maskUrl(url)).not.toContain('s3cretPW');
  });
});

describe('secrets and tokens', () => {
  it('AUTH_JWT_PREVIOUS_SECRETS: comma-separated, each at least 32 characters, beside AUTH_JWT_SECRET', () => {
    const previous = ['p'.repeat(32), 'q'.repeat(48)];
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_PREVIOUS_SECRETS: ` ${previous[0]} , ${previous[1]},` }).auth.previousJwtSecrets).toEqual(previous);
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_PREVIOUS_SECRETS: '' }).auth.previousJwtSecrets).toEqual([]);
    expect(() => loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_PREVIOUS_SECRETS: `${previous[0]},short` })).toThrow(/^AUTH_JWT_PREVIOUS_SECRETS must be .*entry 2 has 5$/);
    expect(() => loadConfig({ AUTH_JWT_PREVIOUS_SECRETS: previous[0] })).toThrow(/^AUTH_JWT_PREVIOUS_SECRETS is read only beside AUTH_JWT_SECRET/);
    expect(() => loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWKS_URL: 'https://idp.example.com/jwks', AUTH_JWT_PREVIOUS_SECRETS: previous[0] })).toThrow(
      /^AUTH_JWT_PREVIOUS_SECRETS is read only beside/,
    );
  });

  it('a refused secret or token is never echoed', () => {
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short-secret-value' })).toThrow(/^AUTH_JWT_SECRET must be at least 32 characters \(it is 18\)$/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short-token-value' })).toThrow(/^METRICS_TOKEN must be at least 32 characters/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short-token-value' })).not.toThrow(/short-token-value/);
  });

  it('METRICS_TOKEN: optional, at least 32 token characters', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'm'.repeat(32) }).metricsToken).toBe('m'.repeat(32));
    expect(() => loadConfig({ METRICS_TOKEN: `${'m'.repeat(32)} with spaces` })).toThrow(/^METRICS_TOKEN must be/);
  });

  it('AUTH_JWKS_URL must be an http(s) URL', () => {
    expect(() => loadConfig({ AUTH_JWKS_URL: 'idp.example.com/jwks' })).toThrow(/^AUTH_JWKS_URL must be an http\(s\):\/\/ URL/);
  });
});

describe('the README configuration table', () => {
  it('is exactly the table printed from the schema (npm run config-table)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(tableInReadme(readme)).toBe(configTable());
  });

  it('is the only place the service reads its environment: no process.env outside src/config/', () => {
    const root = fileURLToPath(new URL('../../src/', import.meta.url));
    const readers = (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.ts') && !file.startsWith(`config${sep}`))
      .filter((file) => readFileSync(join(root, file), 'utf8').includes('process.env'));
    expect(readers).toEqual([]);
  });
});
