// Prints a signed token: npm run token -- --sub alice --project proj_1 --perms keys:read,keys:write
import { parseArgs } from 'node:util';
import { PERMISSIONS, type Permission, PROJECT_PERMISSIONS } from '../auth/principal';
import { signToken } from '../auth/sign-token';
import { ConfigError, loadConfig, resolveAuthConfig } from '../config/load-config';
import { StartFailure } from '../config/start-failure';

// By default every permission a project can grant; "operator" counts only on '*' and is asked for by name.
const usage = `Usage: npm run token -- --sub <who> [--project <id>|'*'] [--perms ${PERMISSIONS.join(',')}] [--ttl <seconds>]`;

try {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      project: { type: 'string', default: 'demo' },
      perms: { type: 'string', default: PROJECT_PERMISSIONS.join(',') },
      ttl: { type: 'string', default: String(24 * 3600) },
    },
  });
  if (!values.sub) throw new ConfigError('--sub is required');
  const perms = values.perms
    .split(',')
    .map((perm) => perm.trim())
    .filter(Boolean);
  const unknown = perms.filter((perm) => !(PERMISSIONS as readonly string[]).includes(perm));
  if (unknown.length) throw new ConfigError(`unknown permission(s): ${unknown.join(', ')}`);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1) throw new ConfigError('--ttl must be a whole number of seconds');

  const config = loadConfig();
  const maxTtl = config.auth.maxTokenLifetimeSeconds;
  if (maxTtl !== undefined && ttl > maxTtl)
    throw new ConfigError(`--ttl must be at most ${maxTtl} seconds (AUTH_MAX_TOKEN_LIFETIME_SECONDS): the service refuses longer-lived tokens`);
  if (config.auth.jwksUrl) throw new ConfigError('AUTH_JWKS_URL is set: tokens come from your identity provider');
  // Signs with the current secret only; AUTH_JWT_PREVIOUS_SECRETS are for verifying tokens already out.
  const { jwtSecret, issuer, audience } = resolveAuthConfig(config);
  const token = await signToken(jwtSecret!, {
    sub: values.sub,
    perms: { [values.project]: perms as Permission[] },
    expiresIn: ttl,
    issuer,
    audience,
  });
  console.log(token);
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof StartFailure || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw error;
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
