import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/principal';
import { signToken } from '../../src/auth/sign-token';
import { gqlAt, type SpawnedServer, spawnServer } from '../support/spawned-server';
import { TEST_JWT_SECRET } from '../support/test-server';

// Requests that never arrive whole, sent to the real server process: a client
// that goes away mid-body, one that stalls until the request timeout, and bytes
// that are not HTTP at all. Each must cost that request only, never the process.

const VERIFY = `mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { valid code } }`;
const LIST = `{ project(id: "proj_broken") { apiKeys { edges { node { name } } } } }`;

describe('requests that never arrive whole', () => {
  let dir: string;
  let server: SpawnedServer;
  let token: string;
  let secret: string;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apikeys-broken-'));
    server = await spawnServer(join(dir, 'apikeys.db'), { REQUEST_TIMEOUT_MS: '1000' });
    port = Number(new URL(server.url).port);
    token = await signToken(TEST_JWT_SECRET, { sub: 'broken', perms: { '*': [...PERMISSIONS] }, expiresIn: 3600 });
    const generated = await gqlAt(
      server.url,
      token,
      `mutation { generateApiKey(input: {projectId: "proj_broken", name: "k", environment: "live"}) { ... on GenerateApiKeyPayload { secret } } }`,
    );
    secret = generated.data.generateApiKey.secret;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends raw bytes and resolves when the server closes the connection (or after `waitMs`). */
  function sendRaw(bytes: string, { endAfterSending, waitMs }: { endAfterSending: boolean; waitMs: number }): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      };
      const timer = setTimeout(done, waitMs);
      socket.on('data', (chunk) => (received += chunk));
      socket.on('error', done);
      socket.on('close', done);
      socket.write(bytes, () => {
        if (endAfterSending) socket.end();
      });
    });
  }

  const partialPost = (query: string, variables: unknown) => {
    const body = JSON.stringify({ query, variables });
    return `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${body.length + 50}\r\n\r\n${body}`;
  };

  const stillServing = async () => {
    expect(server.child.exitCode).toBeNull();
    const answer = await gqlAt(server.url, token, VERIFY, { s: secret });
    expect(answer.data.verifyApiKey).toEqual({ valid: true, code: 'VALID' });
  };

  it.each([
    ['a verification (fast path)', VERIFY, { s: 'ak_live_x' }],
    ['a query (general path)', LIST, {}],
  ])('survives %s whose client goes away mid-body', async (_case, query, variables) => {
    await sendRaw(partialPost(query, variables), { endAfterSending: true, waitMs: 300 });
    // The classic one-liner: a Content-Length of 10 and one byte.
    await sendRaw('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{', { endAfterSending: true, waitMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await stillServing();
  });

  it.each([
    ['a verification (fast path)', VERIFY, { s: 'ak_live_x' }],
    ['a query (general path)', LIST, {}],
  ])('survives %s whose body stalls past the request timeout', async (_case, query, variables) => {
    // The socket stays open and silent; the server's 1 s request timeout ends the request.
    await sendRaw(partialPost(query, variables), { endAfterSending: false, waitMs: 2500 });
    await stillServing();
  });

  it('answers bytes that are not HTTP with 400 and goes on', async () => {
    const answer = await sendRaw('\u0000\u0001 GARBAGE \r\n\r\n', { endAfterSending: false, waitMs: 1000 });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    await stillServing();
  });
});
