import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Authenticate, createAuthenticator } from '../../src/auth/authenticate';
import { schema } from '../../src/graphql/schema';
import { createRequestHandler } from '../../src/server/request-handler';
import { createVerifyFastPath } from '../../src/server/verify-fast-path';
import type { KeyVerifier } from '../../src/verification/key-verifier';
import { rawRequest } from '../support/raw-http';

// A verification whose token is not cached goes to the fast path, which checks the token;
// when it hands the request over (here: the token is refused), the general path must not
// check the same token again. A flood of requests with a bad token would otherwise cost
// every signature check twice. Only the real request handler and fast path run here: the
// token is refused before either would read a key (the verifier is never reached).

let server: Server;
let checks = 0;

beforeAll(async () => {
  const real = createAuthenticator({ jwtSecret: 'a-secret-of-at-least-thirty-two-characters!!' });
  const counting: Authenticate = Object.assign(
    (authorization: string | null | undefined) => {
      checks++;
      return real(authorization);
    },
    { cached: real.cached },
  );
  const unreachable = () => {
    throw new Error('not reached with a refused token');
  };
  const handle = createRequestHandler({
    logger: pino({ level: 'silent' }),
    authenticate: counting,
    fastPath: createVerifyFastPath({ schema, authenticate: counting, verifier: new Proxy({}, { get: unreachable }) as KeyVerifier }),
    onFastPathAnswer: unreachable,
    servesGraphiQL: false,
    yoga: unreachable,
    liveness: unreachable,
    readiness: unreachable,
  });
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('authentication of a verification handed over by the fast path', () => {
  it('checks a refused token once, and answers 401', async () => {
    const response = await rawRequest((server.address() as AddressInfo).port, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not.a.valid-token' },
      body: JSON.stringify({ query: 'mutation { verifyApiKey(input: { secret: "ak_live_x" }) { valid } }' }),
    });
    expect(response.status).toBe(401);
    expect(checks).toBe(1);
  });
});
