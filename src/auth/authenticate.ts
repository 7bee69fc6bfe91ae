import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { createMonotonicClock } from '../domain/monotonic-clock';
import type { Principal } from './principal';
import { principalFromClaims } from './token-claims';

export interface AuthConfig {
  /** HS256 shared secret: signs tokens (npm run token) and verifies them. */
  jwtSecret?: string;
  /**
   * Earlier HS256 secrets, accepted for verification only, tried after jwtSecret:
   * the secret can be rolled without downtime (README: "Rolling the signing secret").
   */
  previousJwtSecrets?: string[];
  /** JWKS endpoint of an identity provider (RS256/ES256); keys are cached and refetched on an unknown kid. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /**
   * After fetching the JWKS, how long an unknown kid waits before another fetch.
   * Short, so a rotated key works within seconds; not zero, so a flood of
   * made-up kids cannot turn into a flood of requests to the identity provider.
   */
  jwksCooldownMs?: number;
  /**
   * The furthest a token's exp may lie beyond now (default 30 days). A token that
   * never expires cannot be revoked by waiting; a leaked one would work for good.
   */
  maxTokenLifetimeSeconds?: number;
}

export class AuthenticationError extends Error {
  readonly code = 'UNAUTHENTICATED';
}

const CLOCK_SKEW_SECONDS = 30;
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;

const CLAIM_RULES = {
  sub: 'it must be 1-200 visible characters, with no control or invisible formatting characters',
  perms: 'it must map project ids to lists of permissions',
} as const;

export interface Authenticate {
  (authorization: string | null | undefined): Promise<Principal>;
  /** The principal of a token verified before and still valid, without waiting; undefined otherwise. */
  cached(authorization: string | null | undefined): Principal | undefined;
}

const MAX_CACHED_TOKENS = 10_000;

/**
 * Builds the function that turns an Authorization header into a principal, or
 * rejects it. A token verified once is remembered until it expires, so a gateway
 * sending the same token on every request pays for its signature check once.
 *
 * The cache (least recently used first out) keeps each token for the time left
 * until its exp (plus the skew jose allows), on the same clock: a cached answer
 * never outlives the token. Nor the secret it was verified with: the secrets are
 * read once, at start, and a restart (the documented way to change configuration,
 * so to drop a previous secret) starts with an empty cache. A token jose accepted
 * is valid from then on (nbf is past, and the clock below does not step back), so
 * exp is the only bound the cache needs.
 *
 * `now` is the real wall clock made monotonic (not a server's injectable clock): a
 * clock stepping back must not make an expired token valid again.
 */
export function createAuthenticator(config: AuthConfig, now: () => number = createMonotonicClock()): Authenticate {
  const keys = verificationKeys(config);
  const maxLifetimeSeconds = config.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  // ttlResolution 0: staleness is judged on `now` at every read, never on a clock reading lru-cache kept.
  const verified = new LRUCache<string, Principal>({ max: MAX_CACHED_TOKENS, ttlAutopurge: false, ttlResolution: 0, perf: { now } });
  const tokenOf = (authorization: string | null | undefined) => /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? '')?.[1];

  const authenticate = async (authorization: string | null | undefined) => {
    const token = tokenOf(authorization);
    if (!token) throw new AuthenticationError('Send a bearer token: Authorization: Bearer <JWT>');
    const cached = verified.get(token);
    if (cached) return cached;
    const payload = await verifyWithAny(token, keys, config, now());
    checkLifetime(payload.exp!, maxLifetimeSeconds, now());
    const claimed = principalFromClaims(payload);
    if ('invalid' in claimed) throw new AuthenticationError(`The bearer token's ${claimed.invalid} claim is invalid: ${CLAIM_RULES[claimed.invalid]}`);
    const expiresAt = (payload.exp! + CLOCK_SKEW_SECONDS) * 1000;
    const principal = { ...claimed.principal, expiresAt };
    const ttl = Math.floor(expiresAt - now());
    if (ttl > 0) verified.set(token, principal, { ttl });
    return principal;
  };
  return Object.assign(authenticate, {
    cached: (authorization: string | null | undefined) => {
      const token = tokenOf(authorization);
      return token ? verified.get(token) : undefined;
    },
  });
}

type VerificationKey = Uint8Array | JWTVerifyGetKey;

/**
 * Tries the keys in order (the current secret first, then the previous ones) and
 * moves on only when the signature did not match: a token that is expired, or
 * for another audience, is refused whichever secret signed it.
 */
async function verifyWithAny(token: string, keys: { keys: VerificationKey[]; algorithms: string[] }, config: AuthConfig, at: number): Promise<JWTPayload> {
  for (const [index, key] of keys.keys.entries()) {
    try {
      const { payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
        algorithms: keys.algorithms,
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(at),
        requiredClaims: ['exp'],
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed && index < keys.keys.length - 1) continue;
      // jose's reason (expired, bad signature, wrong audience…) stays on the server side.
      throw new AuthenticationError('The bearer token is invalid or expired');
    }
  }
  throw new AuthenticationError('The bearer token is invalid or expired');
}

/** jose checks that exp has not passed; this, that it is not too far off (exp: 1e300 included). */
function checkLifetime(exp: number, maxLifetimeSeconds: number, now: number): void {
  const latest = now / 1000 + maxLifetimeSeconds + CLOCK_SKEW_SECONDS;
  if (!(exp <= latest)) {
    throw new AuthenticationError(`The bearer token expires too far in the future: tokens may last at most ${maxLifetimeSeconds} seconds`);
  }
}

function verificationKeys(config: AuthConfig): { keys: VerificationKey[]; algorithms: string[] } {
  if (config.jwksUrl) {
    const keys = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: config.jwksCooldownMs ?? 5_000 });
    return { keys: [keys], algorithms: ['RS256', 'ES256'] };
  }
  if (config.jwtSecret) {
    const secrets = [config.jwtSecret, ...(config.previousJwtSecrets ?? []).filter((secret) => secret !== config.jwtSecret)];
    return { keys: secrets.map((secret) => new TextEncoder().encode(secret)), algorithms: ['HS256'] };
  }
  throw new Error('Authentication needs AUTH_JWT_SECRET or AUTH_JWKS_URL');
}
