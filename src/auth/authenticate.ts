import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Principal } from './principal';
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
}

export class AuthenticationError extends Error {
  readonly code = 'UNAUTHENTICATED';
}

const CLOCK_SKEW_SECONDS = 30;

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
export function createAuthenticator(config: AuthConfig): Authenticate {
  const [key, algorithms] = verificationKey(config);
  const verified = new Map<string, VerifiedToken>();
  const tokenOf = (authorization: string | null | undefined) => /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? '')?.[1];
  const fromCache = (token: string) => {
    const entry = verified.get(token);
    if (!entry) return undefined;
    const now = Date.now();
    if (now >= entry.notBefore && now <= entry.expires) return entry.principal;
    verified.delete(token);
    return undefined;
  };

  const authenticate = async (authorization: string | null | undefined) => {
    const token = tokenOf(authorization);
    if (!token) throw new AuthenticationError('Send a bearer token: Authorization: Bearer <JWT>');
    const cached = fromCache(token);
    if (cached) return cached;
    let payload: { exp?: number; nbf?: number };
    try {
      ({ payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp'],
      }));
    } catch {
      // jose's reason (expired, bad signature, wrong audience…) stays on the server side.
      throw new AuthenticationError('The bearer token is invalid or expired');
    }
    const claimed = principalFromClaims(payload);
    if (!claimed) throw new AuthenticationError('The bearer token lacks a valid sub or perms claim');
    const principal = { ...claimed, expiresAt: (payload.exp! + CLOCK_SKEW_SECONDS) * 1000 };
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

function verificationKey(config: AuthConfig): [Uint8Array | JWTVerifyGetKey, string[]] {
  if (config.jwksUrl) {
    const keys = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: config.jwksCooldownMs ?? 5_000 });
    return [keys, ['RS256', 'ES256']];
  }
  if (config.jwtSecret) return [new TextEncoder().encode(config.jwtSecret), ['HS256']];
  throw new Error('Authentication needs AUTH_JWT_SECRET or AUTH_JWKS_URL');
}
