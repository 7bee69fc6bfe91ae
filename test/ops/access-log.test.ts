import { once } from 'node:events';
import { connect } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../support/api-key-operations';
import { capturingLogger } from '../support/captured-log';
import { sseSubscription, until } from '../support/sse-subscription';
import { startTestServer, type TestServer } from '../support/test-server';

// The server's own pino output, captured: one line per request with what an
// operator needs, and nothing a client sent that could be a secret.

const VERIFY = 'mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code } }';
const VERIFY_NAMED_GENERAL = 'mutation Gate($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code } } query Unused { __typename }';

describe('the access log', () => {
  let server: TestServer;
  const log = capturingLogger('info');
  beforeAll(async () => {
    server = await startTestServer({ logger: log.logger, actor: 'ops-tester' });
  });
  afterAll(() => server?.close());

  /** The access-log lines of one request, found by the id its response carried. */
  const linesOf = async (response: Response) => {
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/\S/);
    // The line is written when the response has finished: a moment after the client has it.
    await until(() => log.lines.some((line) => line.msg === 'request' && line.requestId === requestId));
    return log.lines.filter((line) => line.msg === 'request' && line.requestId === requestId);
  };

  it('writes one line per request with method, path, status, duration, operation and subject, and never a secret or token', async () => {
    // A mutation whose answer holds a new secret.
    const generate = await server.post({
      query: 'mutation NewKey($input: GenerateApiKeyInput!) { generateApiKey(input: $input) { __typename ... on GenerateApiKeyPayload { secret } } }',
      variables: { input: { projectId: 'proj_log', name: 'logged key', environment: 'live' } },
    });
    const secret = ((await generate.json()) as any).data.generateApiKey.secret as string;
    const [generated, ...moreGenerated] = await linesOf(generate);
    expect(moreGenerated).toEqual([]);
    expect(generated).toMatchObject({
      level: 30,
      method: 'POST',
      path: '/graphql',
      status: 200,
      operationType: 'mutation',
      operationName: 'NewKey',
      rootFields: ['generateApiKey'],
      subject: 'ops-tester',
      fastPath: false,
    });
    expect(typeof generated!.durationMs).toBe('number');
    expect(generated!.durationMs).toBeGreaterThanOrEqual(0);

    // The secret in variables, through the fast path and through GraphQL.
    const fast = await server.post({ query: VERIFY, variables: { secret } });
    expect(await linesOf(fast)).toEqual([
      expect.objectContaining({ status: 200, operationType: 'mutation', operationName: null, rootFields: ['verifyApiKey'], subject: 'ops-tester', fastPath: true }),
    ]);
    const general = await server.post({ query: VERIFY_NAMED_GENERAL, variables: { secret }, operationName: 'Gate' });
    expect(await linesOf(general)).toEqual([
      expect.objectContaining({ status: 200, operationType: 'mutation', operationName: 'Gate', rootFields: ['verifyApiKey'], subject: 'ops-tester', fastPath: false }),
    ]);

    // A token that does not verify: 401, no subject.
    const badToken = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJlLXRoYXQtZG9lcy1ub3QtdmVyaWZ5';
    const unauthenticated = await server.post({ query: VERIFY, variables: { secret } }, { token: badToken });
    expect(unauthenticated.status).toBe(401);
    const [refused] = await linesOf(unauthenticated);
    expect(refused).toMatchObject({ status: 401, path: '/graphql', fastPath: false });
    expect(refused).not.toHaveProperty('subject');
    expect(refused).not.toHaveProperty('operationType');

    // A document that does not parse, quoting the secret: no operation, and the secret is not logged.
    const broken = await server.post({ query: `{ verifyApiKey(input: {secret: "${secret}"}) ` });
    const [brokenLine] = await linesOf(broken);
    expect(brokenLine).toMatchObject({ path: '/graphql', subject: 'ops-tester', fastPath: false });
    expect(brokenLine).not.toHaveProperty('operationType');

    // A GET with the whole request in its query string: the path is logged without it.
    const viaGet = await fetch(`${server.url}/graphql?query=${encodeURIComponent(`{ __typename }`)}&variables=${encodeURIComponent(JSON.stringify({ secret }))}`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(await linesOf(viaGet)).toEqual([expect.objectContaining({ method: 'GET', path: '/graphql', operationType: 'query', status: 200 })]);

    // Not found: still one line.
    const missing = await fetch(`${server.url}/nowhere?token=${secret}`);
    expect(await linesOf(missing)).toEqual([expect.objectContaining({ status: 404, path: '/nowhere' })]);

    const everything = log.raw.join('\n');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.slice(-20));
    expect(everything).not.toContain(server.token);
    expect(everything).not.toContain(badToken);
    expect(everything).not.toContain('verifyApiKey(input');
    expect(everything).not.toMatch(/authorization/i);
  });

  it('writes a live feed’s line when its stream ends', async () => {
    const feed = sseSubscription(server.url, server.token, 'subscription Watch { auditEvents(projectId: "proj_log") { id } }', {});
    const first = feed.take(1, 10_000);
    await until(() => server.feedSubscribers === 1);
    await generateKey(server, { projectId: 'proj_log' });
    expect((await first).length).toBe(1);
    const before = log.lines.filter((line) => line.operationType === 'subscription').length;
    await feed.close();
    await until(() => log.lines.filter((line) => line.operationType === 'subscription').length > before);
    const [line] = log.lines.filter((line) => line.operationType === 'subscription').slice(before);
    expect(line).toMatchObject({ method: 'POST', path: '/graphql', operationType: 'subscription', operationName: 'Watch', rootFields: ['auditEvents'], subject: 'ops-tester' });
  });

  it('writes the line of a request whose client went away mid-body, marked aborted and with no status', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 500\r\n' +
        `x-request-id: gone-mid-body-1\r\nauthorization: Bearer ${server.token}\r\n\r\n{"query":`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await until(() => log.lines.some((line) => line.msg === 'request' && line.requestId === 'gone-mid-body-1'));
    expect(log.lines.filter((line) => line.requestId === 'gone-mid-body-1' && line.msg === 'request')).toEqual([
      expect.objectContaining({ method: 'POST', path: '/graphql', status: null, aborted: true, fastPath: false }),
    ]);
  });

  it('logs the path alone of an absolute-form request, never its user information', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    const body = '{"query":"{ __typename }"}';
    socket.write(
      'POST http://u:p@host.example/graphql?x=1 HTTP/1.1\r\nhost: host.example\r\ncontent-type: application/json\r\nconnection: close\r\n' +
        `content-length: ${body.length}\r\nx-request-id: absolute-form-1\r\nauthorization: Bearer ${server.token}\r\n\r\n${body}`,
    );
    await once(socket, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 \d{3} /);
    await until(() => log.lines.some((line) => line.msg === 'request' && line.requestId === 'absolute-form-1'));
    expect(log.lines.filter((line) => line.requestId === 'absolute-form-1' && line.msg === 'request')).toEqual([expect.objectContaining({ method: 'POST', path: '/graphql' })]);
    expect(log.raw.filter((line) => line.includes('u:p'))).toEqual([]);
  });

  it('logs an error with the request id its response carried', async () => {
    const { secret } = await generateKey(server, { projectId: 'proj_log' });
    await sql`alter table api_keys rename to api_keys_away`.execute(server.db);
    let response: Response;
    try {
      response = await server.post({ query: VERIFY, variables: { secret } });
      expect(response.status).toBe(503);
    } finally {
      await sql`alter table api_keys_away rename to api_keys`.execute(server.db);
    }
    const requestId = response.headers.get('x-request-id');
    await linesOf(response);
    const errors = log.lines.filter((line) => line.level >= 40 && line.msg !== 'request');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.filter((line) => line.requestId === requestId)).toEqual([expect.objectContaining({ msg: 'database unavailable' })]);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the verifier's back-off after a failed read
  });

  it('keeps probes and scrapes out of the info log', async () => {
    for (const path of ['/health', '/ready', '/metrics']) {
      const response = await fetch(`${server.url}${path}`);
      // /ready may still say 503 for a few seconds after the failure above: logged all the same.
      expect(path === '/ready' ? [200, 503] : [200], path).toContain(response.status);
    }
    const gql = await server.post({ query: '{ __typename }' });
    await linesOf(gql);
    expect(log.lines.filter((line) => ['/health', '/ready', '/metrics'].includes(line.path))).toEqual([]);
  });
});

describe('the access log at debug level', () => {
  it('has probes and scrapes too', async () => {
    const log = capturingLogger('debug');
    const server = await startTestServer({ logger: log.logger });
    try {
      for (const path of ['/health', '/ready', '/metrics']) {
        const response = await fetch(`${server.url}${path}`);
        const requestId = response.headers.get('x-request-id');
        await until(() => log.lines.some((line) => line.requestId === requestId));
        expect(log.lines.filter((line) => line.requestId === requestId)).toEqual([expect.objectContaining({ level: 20, msg: 'request', path, status: 200 })]);
      }
    } finally {
      await server.close();
    }
  });
});

describe('ACCESS_LOG=except-verifications', () => {
  let server: TestServer;
  const log = capturingLogger('info');
  beforeAll(async () => {
    server = await startTestServer({ logger: log.logger, actor: 'gateway', accessLog: 'except-verifications' });
  });
  afterAll(() => server?.close());

  it('writes no line for a verification answered 2xx, on either path, and still one for everything else', async () => {
    const { secret } = await generateKey(server, { projectId: 'proj_quiet' });
    const idsOf = (...responses: Response[]) => responses.map((response) => response.headers.get('x-request-id'));
    const fast = await server.post({ query: VERIFY, variables: { secret } });
    const general = await server.post({ query: VERIFY_NAMED_GENERAL, variables: { secret }, operationName: 'Gate' });
    const unknown = await server.post({ query: VERIFY, variables: { secret: 'not a key' } });
    expect([fast.status, general.status, unknown.status]).toEqual([200, 200, 200]);
    expect(server.fastPathAnswers).toBeGreaterThan(0);
    // Logged: a verification refused before it is answered, and a management request.
    const refused = await server.post({ query: VERIFY, variables: { secret } }, { token: 'not-a-token' });
    expect(refused.status).toBe(401);
    const list = await server.post({ query: '{ project(id: "proj_quiet") { apiKeys(first: 5) { edges { node { id } } } } }' });
    const [refusedId, listId] = idsOf(refused, list);
    await until(() => log.lines.some((line) => line.requestId === listId));
    await until(() => log.lines.some((line) => line.requestId === refusedId));
    const logged = new Set(log.lines.filter((line) => line.msg === 'request').map((line) => line.requestId));
    for (const id of idsOf(fast, general, unknown)) expect(logged.has(id)).toBe(false);
    // The generation before them was logged too: one line per request that is not a verification answered 2xx.
    expect(log.lines.filter((line) => line.msg === 'request' && line.rootFields?.[0] === 'generateApiKey')).toHaveLength(1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/apikeys_verifications_total\{code="VALID",path="fast"\} [1-9]/);
  });
});
