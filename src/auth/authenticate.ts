import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Principal } from './principal';
import { createMonotonicClock } from '../domain/monotonic-clock';
import { principalFromClaims } from './token-claims';

export interface AuthConfig {
  /** HS256 shared secret. */
  jwtSecret?: string;
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

interface VerifiedToken {
  principal: Principal;
  /** Milliseconds; the window, skew included, in which the token stays valid. */
  notBefore: number;
  expires: number;
}

/**
 * Builds the function that turns an Authorization header into a principal, or
 * rejects it. A token verified once is remembered until it expires, so a gateway
 * sending the same token on every request pays for its signature check once; the
 * cached window is the one jose enforced (exp/nbf with the same skew).
 */
/**
 * `now` is the real wall clock made monotonic (not a server's injectable clock): a
 * clock stepping back must not make an expired token valid again.
 */
export function createAuthenticator(config: AuthConfig, now: () => number = createMonotonicClock()): Authenticate {
  const [key, algorithms] = verificationKey(config);
  const maxLifetimeSeconds = config.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const verified = new Map<string, VerifiedToken>();
  const tokenOf = (authorization: string | null | undefined) => /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? '')?.[1];
  const fromCache = (token: string) => {
    const entry = verified.get(token);
    if (!entry) return undefined;
    const at = now();
    if (at >= entry.notBefore && at <= entry.expires) return entry.principal;
    verified.delete(token);
    return undefined;
  };

  const authenticate = async (authorization: string | null | undefined) => {
    const token = tokenOf(authorization);
    if (!token) throw new AuthenticationError('Send a bearer token: Authorization: Bearer <JWT>');
    const cached = fromCache(token);
    if (cached) return cached;
    let payload: { exp?: number; nbf?: number; sub?: unknown; perms?: unknown };
    try {
      ({ payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(now()),
        requiredClaims: ['exp'],
      }));
    } catch {
      // jose's reason (expired, bad signature, wrong audience…) stays on the server side.
      throw new AuthenticationError('The bearer token is invalid or expired');
    }
    checkLifetime(payload.exp!, maxLifetimeSeconds, now());
    const claimed = principalFromClaims(payload);
    if ('invalid' in claimed) throw new AuthenticationError(`The bearer token's ${claimed.invalid} claim is invalid: ${CLAIM_RULES[claimed.invalid]}`);
    const principal = { ...claimed.principal, expiresAt: (payload.exp! + CLOCK_SKEW_SECONDS) * 1000 };
    if (verified.size >= MAX_CACHED_TOKENS) verified.delete(verified.keys().next().value!);
    verified.set(token, {
      principal,
      notBefore: ((payload.nbf ?? 0) - CLOCK_SKEW_SECONDS) * 1000,
      expires: (payload.exp! + CLOCK_SKEW_SECONDS) * 1000,
    });
    return principal;
  };
  return Object.assign(authenticate, {
    cached: (authorization: string | null | undefined) => {
      const token = tokenOf(authorization);
      return token ? fromCache(token) : undefined;
    },
  });
}

/** jose checks that exp has not passed; this, that it is not too far off (exp: 1e300 included). */
function checkLifetime(exp: number, maxLifetimeSeconds: number, now: number): void {
  const latest = now / 1000 + maxLifetimeSeconds + CLOCK_SKEW_SECONDS;
  if (!(exp <= latest)) {
    throw new AuthenticationError(`The bearer token expires too far in the future: tokens may last at most ${maxLifetimeSeconds} seconds`);
  }
}

function verificationKey(config: AuthConfig): [Uint8Array | JWTVerifyGetKey, string[]] {
  if (config.jwksUrl) {
    const keys = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: config.jwksCooldownMs ?? 5_000 });
    return [keys, ['RS256', 'ES256']];
  }
  if (config.jwtSecret) return [new TextEncoder().encode(config.jwtSecret), ['HS256']];
  throw new Error('Authentication needs AUTH_JWT_SECRET or AUTH_JWKS_URL');
}
