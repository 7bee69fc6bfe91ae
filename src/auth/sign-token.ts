import { SignJWT } from 'jose';
import type { Permission } from './principal';

export interface TokenRequest {
  sub: string;
  perms: Record<string, Permission[]>;
  /** Lifetime in seconds. */
  expiresIn: number;
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 token in the claim form the service reads; for development and tests. */
export async function signToken(secret: string, request: TokenRequest): Promise<string> {
  let jwt = new SignJWT({ perms: request.perms }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(request.sub).setIssuedAt().setExpirationTime(`${request.expiresIn}s`);
  if (request.issuer) jwt = jwt.setIssuer(request.issuer);
  if (request.audience) jwt = jwt.setAudience(request.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
