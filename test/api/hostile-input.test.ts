import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, snapshotTables } from '../support/api-key-operations';
import { capturingLogger } from '../support/captured-log';
import { startTestServer, type TestServer } from '../support/test-server';

// Everything here is hostile or broken input. Each request must get a clear, typed
// error (or a harmless empty answer), and afterwards the database must be exactly
// as it was: no partial write, no 500, no stack trace, SQL or secret in any answer.

describe('hostile input', () => {
  let server: TestServer;
  let keyId: string;
  let secret: string;
  let before: Awaited<ReturnType<typeof snapshotTables>>;
  const answers: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    ({
      secret,
      apiKey: { id: keyId },
    } = await generateKey(server, { projectId: 'proj_h' }));
    before = await snapshotTables(server);
  });
  afterAll(async () => {
    expect(await snapshotTables(server)).toEqual(before);
    for (const answer of answers) {
      expect(answer).not.toMatch(/\bat \S+\.(ts|js):\d+|SqliteError|sqlite_|select \*|insert into|"stack"/i);
      expect(answer).not.toContain(secret.slice(8));
    }
    await server.close();
  });

  async function send(body: unknown, options?: Parameters<TestServer['post']>[1]) {
    const response = await server.post(body, options);
    const text = await response.text();
    answers.push(text);
    return { status: response.status, body: JSON.parse(text) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
  }

  const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.[0]?.extensions?.code;

  const generate = (input: Record<string, unknown>) =>
    send({
      query: `mutation ($input: GenerateApiKeyInput!) { generateApiKey(input: $input) { __typename ... on Error { code message } } }`,
      variables: { input: { projectId: 'proj_h', name: 'ok', environment: 'live', ...input } },
    });

  it.each([
    ['NUL in a name', { name: 'a\u0000b' }],
    ['an ANSI escape in a name', { name: '\u001b[31mred' }],
    ['DEL in a name', { name: 'a\u007fb' }],
    ['a 10 kB name', { name: 'n'.repeat(10_240) }],
    ['SQL in the project id', { projectId: "proj'; DROP TABLE events;--" }],
    ['SQL in the environment', { environment: "live' OR '1'='1" }],
    ['a project id of 10 kB', { projectId: 'p'.repeat(10_240) }],
  ])('generate with %s is a ValidationError', async (_case, input) => {
    const { body } = await generate(input);
    expect(body.data.generateApiKey).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION' });
  });

  // A secret pasted into a name or a reason would be stored for good in the log and
  // shown to everyone who reads it: such text is refused, and not quoted back.
  describe('text that looks like one of our secrets', () => {
    const auditEventCount = async () => {
      const { body } = await send({ query: `{ project(id: "proj_h") { auditLog(first: 100) { edges { node { type } } } } }` });
      return body.data.project.auditLog.edges.length as number;
    };
    const statusOf = async (id: string) => (await send({ query: `query ($id: ID!) { apiKey(id: $id) { status } }`, variables: { id } })).body.data.apiKey.status;
    const refusal = (path: string) => ({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      issues: [{ path, message: expect.stringMatching(/must not contain an API key secret/) }],
    });

    it('in a deactivation reason is a ValidationError; the key stays ACTIVE and the log gains nothing', async () => {
      const eventsBefore = await auditEventCount();
      const { body } = await send({
        query: `mutation ($input: DeactivateApiKeyInput!) { deactivateApiKey(input: $input) { __typename ... on ValidationError { code message issues { path message } } } }`,
        variables: { input: { id: keyId, reason: `leaked: ${secret} (found in a public repo)` } },
      });
      expect(body.data.deactivateApiKey).toMatchObject(refusal('input.reason'));
      expect(JSON.stringify(body)).not.toContain(secret.slice(8));
      expect(await statusOf(keyId)).toBe('ACTIVE');
      expect(await auditEventCount()).toBe(eventsBefore);
    });

    it.each([
      ['reactivateApiKey', (s: string) => `back on; was ${s}`],
      ['deleteApiKey', (s: string) => s],
      ['deactivateApiKey', (s: string) => `damaged copy ${s.slice(0, 20)}`],
    ])('in a %s reason is a ValidationError', async (mutation, reason) => {
      const inputType = `${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input`;
      const { body } = await send({
        query: `mutation ($input: ${inputType}!) { r: ${mutation}(input: $input) { __typename ... on ValidationError { code message issues { path message } } } }`,
        variables: { input: { id: keyId, reason: reason(secret) } },
      });
      expect(body.data.r).toMatchObject(refusal('input.reason'));
      expect(await statusOf(keyId)).toBe('ACTIVE');
    });

    it('in a roll reason is a ValidationError, and no successor is made', async () => {
      const { body } = await send({
        query: `mutation ($input: RollApiKeyInput!) { rollApiKey(input: $input) { __typename ... on ValidationError { code message issues { path message } } } }`,
        variables: { input: { id: keyId, gracePeriodSeconds: 0, reason: `replacing ${secret}` } },
      });
      expect(body.data.rollApiKey).toMatchObject(refusal('input.reason'));
    });

    it.each([
      ['the whole secret', (s: string) => s],
      ['a secret inside other text', (s: string) => `prod (${s})`],
      ['the start of a secret', (s: string) => `key ${s.slice(0, 16)}`],
    ])('as a key name (%s) is a ValidationError', async (_case, name) => {
      const { body } = await send({
        query: `mutation ($input: GenerateApiKeyInput!) { generateApiKey(input: $input) { __typename ... on ValidationError { code message issues { path message } } } }`,
        variables: { input: { projectId: 'proj_h', name: name(secret), environment: 'live' } },
      });
      expect(body.data.generateApiKey).toMatchObject(refusal('input.name'));
    });

    it('is only text shaped like a secret: names and reasons that mention keys are fine', async () => {
      // Checked without writing (this suite leaves the database as it found it): a
      // reason on a deleted key would be refused for its state, not its text.
      const { body } = await send({
        query: `mutation ($input: ReactivateApiKeyInput!) { reactivateApiKey(input: $input) { __typename ... on Error { code } } }`,
        variables: { input: { id: keyId, reason: 'ak_live_ prefix keys, see ak_ docs; task_live_1234567' } },
      });
      expect(body.data.reactivateApiKey).toMatchObject({ __typename: 'InvalidStateError' });
    });
  });

  it.each([
    ['a number for a string', { name: 123 }],
    ['null for a required field', { environment: null }],
    ['an object for a string', { projectId: { $ne: null } }],
    ['an unknown input field', { admin: true }],
  ])('generate with %s is rejected before any resolver runs', async (_case, input) => {
    const { body } = await generate(input);
    expect(body.data).toBeUndefined();
    expect(codeOf(body)).toBe('BAD_REQUEST');
  });

  it.each([
    ['garbage', '%%%'],
    ['base64 of nothing useful', Buffer.from('hello').toString('base64')],
    ['an empty id part', Buffer.from('ApiKey:').toString('base64')],
    ['another type', Buffer.from('AuditEvent:1').toString('base64')],
    ['10 kB', 'A'.repeat(10_240)],
    ['unicode', '🔑🔑🔑'],
    ['a secret where an id belongs', 'SECRET'],
  ])('key ids that are %s are Validation or NotFound, everywhere', async (_case, raw) => {
    const id = raw === 'SECRET' ? secret : raw;
    const query = await send({ query: `query ($id: ID!) { apiKey(id: $id) { id } node(id: $id) { id } }`, variables: { id } });
    expect(['VALIDATION', 'NOT_FOUND']).toContain(codeOf(query.body));
    for (const mutation of ['deactivateApiKey', 'reactivateApiKey', 'deleteApiKey']) {
      const { body } = await send({ query: `mutation ($id: ID!) { r: ${mutation}(input: { id: $id }) { __typename ... on Error { code } } }`, variables: { id } });
      expect(['ValidationError', 'NotFoundError']).toContain(body.data.r.__typename);
    }
    const roll = await send({ query: `mutation ($id: ID!) { r: rollApiKey(input: { id: $id, gracePeriodSeconds: 0 }) { __typename } }`, variables: { id } });
    expect(['ValidationError', 'NotFoundError']).toContain(roll.body.data.r.__typename);
    const past = await send({ query: `query ($id: ID!) { apiKey(id: $id, asOf: "2020-01-01T00:00:00Z") { id } }`, variables: { id } });
    expect(['VALIDATION', 'NOT_FOUND']).toContain(codeOf(past.body));
  });

  it.each([
    ['an expiry in the past', { expiresAt: '2001-01-01T00:00:00Z' }, 'VALIDATION'],
    ['an expiry in the year 9999', { expiresAt: '9999-12-31T23:59:59Z' }, 'VALIDATION'],
    ['an expiry that is not a date', { expiresAt: 'next tuesday' }, 'BAD_REQUEST'],
    ['an expiry with SQL in it', { expiresAt: "2030-01-01' OR '1'='1" }, 'BAD_REQUEST'],
    ['an expiry as a number', { expiresAt: 1e300 }, 'BAD_REQUEST'],
  ])('generate with %s is refused', async (_case, input, code) => {
    const { body } = await generate(input);
    if (code === 'VALIDATION') expect(body.data.generateApiKey).toMatchObject({ __typename: 'ValidationError', code });
    else expect(codeOf(body)).toBe(code);
  });

  it.each([
    ['negative', -1, 'VALIDATION'],
    ['over 30 days', 2_592_001, 'VALIDATION'],
    ['beyond a 32-bit Int', 2 ** 31, 'BAD_REQUEST'],
    ['fractional', 0.5, 'BAD_REQUEST'],
    ['a string', '60', 'BAD_REQUEST'],
    ['null', null, 'BAD_REQUEST'],
  ])('a grace period that is %s is refused', async (_case, gracePeriodSeconds, code) => {
    const { body } = await send({
      query: `mutation ($input: RollApiKeyInput!) { rollApiKey(input: $input) { __typename ... on Error { code } } }`,
      variables: { input: { id: keyId, gracePeriodSeconds } },
    });
    if (code === 'VALIDATION') expect(body.data.rollApiKey).toMatchObject({ __typename: 'ValidationError', code });
    else expect(codeOf(body)).toBe(code);
  });

  it.each([
    ['idleKeys with 0 days', `{ project(id: "proj_h") { idleKeys(days: 0) { edges { node { id } } } } }`, 'VALIDATION'],
    ['idleKeys with days beyond an Int', `{ project(id: "proj_h") { idleKeys(days: 99999999999) { edges { node { id } } } } }`, 'GRAPHQL_VALIDATION_FAILED'],
    ['asOf in the future', `{ project(id: "proj_h") { apiKeys(asOf: "2999-01-01T00:00:00Z") { edges { node { id } } } } }`, 'VALIDATION'],
    ['asOf that is not a date', `{ project(id: "proj_h") { apiKeys(asOf: "yesterday") { edges { node { id } } } } }`, 'GRAPHQL_VALIDATION_FAILED'],
    ['expiresBefore with SQL', `{ project(id: "proj_h") { apiKeys(filter: { expiresBefore: "1' OR 1=1" }) { edges { node { id } } } } }`, 'GRAPHQL_VALIDATION_FAILED'],
    ['a live feed of a malformed project', `subscription { auditEvents(projectId: "x' OR 1=1") { type } }`, 'VALIDATION'],
  ])('%s is a typed error', async (_case, query, code) => {
    const { body } = await send({ query });
    expect(codeOf(body)).toBe(code);
  });

  it('time travel to before anything existed is empty, not an error', async () => {
    const { body } = await send({
      query: `query ($id: ID!) { apiKey(id: $id, asOf: "1970-01-01T00:00:00Z") { id } project(id: "proj_h") { apiKeys(asOf: "1970-01-01T00:00:00Z") { edges { node { id } } } } }`,
      variables: { id: keyId },
    });
    expect(body).toEqual({ data: { apiKey: null, project: { apiKeys: { edges: [] } } } });
  });

  it('forged secrets with a valid prefix and a bad checksum are MALFORMED and record nothing', async () => {
    for (let i = 0; i < 20; i++) {
      const position = 8 + ((i * 7) % (secret.length - 8));
      const flipped = secret[position] === 'a' ? 'b' : 'a';
      const forged = secret.slice(0, position) + flipped + secret.slice(position + 1);
      const { body } = await send({ query: `mutation ($s: String!) { verifyApiKey(input: { secret: $s }) { valid code key { id } } }`, variables: { s: forged } });
      expect(body.data.verifyApiKey).toEqual({ valid: false, code: 'MALFORMED', key: null });
    }
  });

  it('SQL metacharacters in filters are data, not SQL', async () => {
    const { body } = await send({ query: `{ project(id: "proj_h") { auditLog(filter: { actor: "' OR 1=1 --" }) { edges { node { type } } } } }` });
    expect(body).toEqual({ data: { project: { auditLog: { edges: [] } } } });
    const badProject = await send({ query: `{ project(id: "x' OR '1'='1") { projectId } }` });
    expect(codeOf(badProject.body)).toBe('VALIDATION');
  });

  it('rejects deep nesting, alias floods, token floods and directive floods before executing', async () => {
    let deep = 'id';
    for (let i = 0; i < 8; i++) deep = `key { auditHistory { edges { node { ${deep} } } } }`;
    const queries = [
      `{ project(id: "proj_h") { auditLog { edges { node { ${deep} } } } } }`,
      `{ ${Array.from({ length: 50 }, (_, i) => `a${i}: project(id: "proj_h") { projectId }`).join(' ')} }`,
      `{ project(id: "proj_h") { ${'projectId '.repeat(3000)} } }`,
      `{ project(id: "proj_h") { projectId ${'@skip(if: false) '.repeat(50)} } }`,
      `mutation { ${Array.from({ length: 50 }, (_, i) => `g${i}: generateApiKey(input: { projectId: "proj_h", name: "flood", environment: "live" }) { __typename }`).join(' ')} }`,
    ];
    for (const query of queries) {
      const { body } = await send({ query });
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.message).toMatch(/limit/i);
      expect(codeOf(body)).toBeTruthy();
    }
  });

  it('refuses batched requests, bodies over 64 kB, bodies of unknown length and non-JSON', async () => {
    const batch = await send([{ query: '{ project(id: "proj_h") { projectId } }' }, { query: '{ project(id: "proj_h") { projectId } }' }]);
    expect(batch.status).toBe(400);
    expect(codeOf(batch.body)).toBe('BAD_REQUEST');

    const huge = await send({ query: `{ project(id: "proj_h") { projectId } }`, variables: { pad: 'x'.repeat(1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect(codeOf(huge.body)).toBe('PAYLOAD_TOO_LARGE');

    const notJson = await send('{"query": ');
    expect(codeOf(notJson.body)).toBe('BAD_REQUEST');

    // A chunked body announces no length: refused before a byte of it is read.
    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', authorization: `Bearer ${server.token}` },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write('{"query":');
      req.end('"{ project(id: \\"proj_h\\") { projectId } }"}');
    });
    expect(chunked.status).toBe(411);
    expect(JSON.parse(chunked.text).errors[0].extensions.code).toBe('LENGTH_REQUIRED');
  });

  it('refuses a mutation sent with GET', async () => {
    const response = await fetch(`${server.url}/graphql?query=${encodeURIComponent(`mutation { deleteApiKey(input: { id: "${keyId}" }) { __typename } }`)}`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(response.status).toBe(405);
    answers.push(await response.text());
  });
});

describe('an unexpected failure', () => {
  it('answers "Unexpected error." with HTTP 500, no SQL or stack, and logs the detail on the server', async () => {
    const { logger, raw: logged } = capturingLogger('error');
    const server = await startTestServer({ logger });
    try {
      await server.db.schema.dropTable('api_keys').execute(); // the projection vanishes under the server
      const response = await server.post({ query: `{ project(id: "p") { apiKeys { edges { node { id } } } } }` });
      expect(response.status).toBe(500); // visible to anything that watches 5xx
      const body = (await response.json()) as { errors?: unknown };
      expect(body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
      expect(JSON.stringify(body)).not.toMatch(/api_keys|sqlite|relation|select/i);
      expect(logged.join('')).toMatch(/no such table: api_keys|relation ..api_keys.. does not exist/);
    } finally {
      await server.close();
    }
  });
});
