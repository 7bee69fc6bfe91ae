import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/secrets/api-key-secret';
import { generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// Without a valid token the service says nothing about its schema, and what a
// verify-only token can time tells it nothing about other projects' keys.

describe('authentication comes first', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ introspection: false, production: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['an unknown field', '{ project(id: "x") { secretField } }'],
    ['a syntax error', '{ project(id: "x") { '],
    ['a made-up verify document', 'mutation { verifyApiKey(input: {secret: "x"}) { secretField } }'],
  ])('answers %s without a token with 401 and nothing about the schema', async (_case, query) => {
    for (const token of [null, 'not-a-jwt']) {
      const response = await server.post({ query }, { token });
      const text = await response.text();
      expect(response.status).toBe(401);
      expect(JSON.parse(text)).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }] });
      expect(text).not.toMatch(/secretField|Cannot query|Syntax|VerifyApiKeyPayload/);
    }
  });

  it('still validates for a caller with a valid token', async () => {
    const body = await server.gql('{ project(id: "x") { secretField } }');
    expect(body.errors?.[0]?.message).toMatch(/secretField/);
  });
});

describe('verification costs the same for a foreign key and an unknown one', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reads the database for a key of another project even when it is cached, as for a secret that does not exist', async () => {
    const { secret } = await generateKey(server, { projectId: 'proj_theirs' });
    const verify = `mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { code } }`;
    // The owner's gateway uses the key: it is cached now.
    expect((await server.gql(verify, { s: secret })).data.verifyApiKey.code).toBe('VALID');
    const prober = await server.tokenFor('prober', { proj_mine: ['keys:verify'] });
    const statementsFor = async (candidate: string) => {
      await server.gql(verify, { s: candidate }, { token: prober }); // warms the token cache
      server.statements.length = 0;
      const code = (await server.gql(verify, { s: candidate }, { token: prober })).data.verifyApiKey.code;
      return { code, statements: server.statements.length };
    };
    const foreign = await statementsFor(secret);
    const unknown = await statementsFor(generateSecret('live').secret);
    expect(foreign).toEqual({ code: 'NOT_FOUND', statements: 1 });
    expect(unknown).toEqual(foreign);
  });
});
