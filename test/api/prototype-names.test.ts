import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/principal';
import { changeKey, generateKey, rollKey } from '../support/api-key-operations';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/test-server';

// Project ids come from tokens and requests. One named like a member of
// Object.prototype must be just a name: every operation works on it, a token with
// no permission on it is refused as for any other project (never a crash), and a
// token whose perms name such members grants exactly what it says.

/** Names of Object.prototype members that the projectId rule accepts. */
const PROTOTYPE_NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];
/** Names the projectId rule refuses (they start with "_"). */
const REFUSED_NAMES = ['__proto__', '__defineGetter__'];

const OTHER = 'other_project';
const VERIFY = 'mutation($s:String!){verifyApiKey(input:{secret:$s}){valid code}}';
/** The same, with a field the fast path does not compile: answered by the general path. */
const VERIFY_GENERAL = 'mutation($s:String!){__typename verifyApiKey(input:{secret:$s}){valid code}}';

describe('projects named like Object.prototype members', () => {
  let server: TestServer;
  /** Every permission, but only on another project. */
  let outsider: string;
  /** The same, plus keys:verify on every project. */
  let verifierEverywhere: string;

  beforeAll(async () => {
    server = await startTestServer();
    outsider = await server.tokenFor('outsider', { [OTHER]: [...PERMISSIONS] });
    verifierEverywhere = await server.tokenFor('verifier', { [OTHER]: [...PERMISSIONS], '*': ['keys:verify'] });
  });
  afterAll(async () => {
    // Whatever was sent, the server is still up and answering.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    await server.close();
  });

  /** Verifies on the fast path, checking that the fast path did answer. */
  async function verifyFast(secret: string, token: string) {
    const before = server.fastPathAnswers;
    const body = await server.gql(VERIFY, { s: secret }, { token });
    expect(server.fastPathAnswers).toBe(before + 1);
    return body.data?.verifyApiKey ?? body;
  }

  /** Verifies on the general path, checking that the fast path did not answer. */
  async function verifyGeneral(secret: string, token: string) {
    const before = server.fastPathAnswers;
    const body = await server.gql(VERIFY_GENERAL, { s: secret }, { token });
    expect(server.fastPathAnswers).toBe(before);
    return body.data?.verifyApiKey ?? body;
  }

  it.each(PROTOTYPE_NAMES)('"%s": every operation works with a token for every project', async (projectId) => {
    const { apiKey } = await generateKey(server, { projectId, name: `a ${projectId} key` });
    expect(apiKey.projectId).toBe(projectId);

    const listed = await server.gql(`query ($p: String!) { project(id: $p) { apiKeys { edges { node { id name } } } } }`, { p: projectId });
    expect(listed).toEqual({ data: { project: { apiKeys: { edges: [{ node: { id: apiKey.id, name: `a ${projectId} key` } }] } } } });
    const read = await server.gql(`query ($id: ID!) { apiKey(id: $id) { id projectId status } }`, { id: apiKey.id });
    expect(read).toEqual({ data: { apiKey: { id: apiKey.id, projectId, status: 'ACTIVE' } } });

    expect(await changeKey(server, 'deactivateApiKey', apiKey.id, 'checking')).toMatchObject({ __typename: 'DeactivateApiKeyPayload', apiKey: { status: 'INACTIVE' } });
    expect(await changeKey(server, 'reactivateApiKey', apiKey.id)).toMatchObject({ __typename: 'ReactivateApiKeyPayload', apiKey: { status: 'ACTIVE' } });
    const rolled = await rollKey(server, { id: apiKey.id, gracePeriodSeconds: 0, reason: 'rotation' });
    expect(rolled).toMatchObject({ __typename: 'RollApiKeyPayload', apiKey: { projectId } });
    expect(await changeKey(server, 'deleteApiKey', apiKey.id)).toMatchObject({ __typename: 'DeleteApiKeyPayload', apiKey: { status: 'DELETED' } });

    const audit = await server.gql(`query ($p: String!) { project(id: $p) { auditLog { edges { node { type } } } } }`, { p: projectId });
    expect(audit.errors).toBeUndefined();
    expect(audit.data.project.auditLog.edges.map((edge: { node: { type: string } }) => edge.node.type)).toEqual(
      expect.arrayContaining(['KeyGenerated', 'KeyDeactivated', 'KeyReactivated', 'KeyDeleted']),
    );

    // The successor is active: VALID for a token that may verify it, on both paths.
    const secret = rolled.secret as string;
    expect(await verifyFast(secret, server.token)).toEqual({ valid: true, code: 'VALID' });
    expect(await verifyGeneral(secret, server.token)).toEqual({ valid: true, code: 'VALID' });
    expect(await verifyFast(secret, verifierEverywhere)).toEqual({ valid: true, code: 'VALID' });
    expect(await verifyGeneral(secret, verifierEverywhere)).toEqual({ valid: true, code: 'VALID' });
  });

  it.each(PROTOTYPE_NAMES)('"%s": a token with permissions only on another project finds nothing there', async (projectId) => {
    const { secret, apiKey } = await generateKey(server, { projectId, name: 'hidden' });

    // The first request authenticates and reads the key; the second is answered from caches.
    expect(await verifyFast(secret, outsider)).toEqual({ valid: false, code: 'NOT_FOUND' });
    expect(await verifyFast(secret, outsider)).toEqual({ valid: false, code: 'NOT_FOUND' });
    expect(await verifyGeneral(secret, outsider)).toEqual({ valid: false, code: 'NOT_FOUND' });
    const literal = await server.gql(`mutation { verifyApiKey(input: { secret: "${secret}" }) { valid code } }`, {}, { token: outsider });
    expect(literal).toEqual({ data: { verifyApiKey: { valid: false, code: 'NOT_FOUND' } } });

    const read = await server.gql(`query ($id: ID!) { apiKey(id: $id) { id } }`, { id: apiKey.id }, { token: outsider });
    expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const listed = await server.gql(`query ($p: String!) { project(id: $p) { apiKeys { edges { node { id } } } } }`, { p: projectId }, { token: outsider });
    expect(listed.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const deactivated = await server.gql(`mutation ($id: ID!) { deactivateApiKey(input: { id: $id }) { __typename } }`, { id: apiKey.id }, { token: outsider });
    expect(deactivated.data?.deactivateApiKey.__typename).toBe('NotFoundError');
    const generated = await server.gql(
      `mutation ($p: String!) { generateApiKey(input: { projectId: $p, name: "x", environment: "live" }) { __typename } }`,
      { p: projectId },
      { token: outsider },
    );
    expect(generated.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Nothing was recorded against the key for those attempts, and it still works for its owner.
    expect(await verifyFast(secret, server.token)).toEqual({ valid: true, code: 'VALID' });
  });

  it.each(REFUSED_NAMES)('"%s" is not a project id: a ValidationError, and nothing is written', async (projectId) => {
    const generated = await server.gql(`mutation ($p: String!) { generateApiKey(input: { projectId: $p, name: "x", environment: "live" }) { __typename ... on Error { code } } }`, {
      p: projectId,
    });
    expect(generated.data.generateApiKey).toEqual({ __typename: 'ValidationError', code: 'VALIDATION' });
    const read = await server.gql(`query ($p: String!) { project(id: $p) { apiKeys { edges { node { id } } } } }`, { p: projectId });
    expect(read.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    const events = await server.db.selectFrom('events').select('stream_id').where('stream_id', 'like', `%${projectId}%`).execute();
    expect(events).toEqual([]);
  });

  it('a token whose perms name "__proto__", "constructor" and "toString" grants exactly what they say', async () => {
    // Raw JSON, so "__proto__" is an ordinary key of the claim, as an attacker would send it.
    const payload = JSON.parse(
      `{"perms":{"__proto__":["keys:read","keys:write","audit:read","keys:verify"],"constructor":["keys:read","keys:write"],"toString":["audit:read"],"real_project":["keys:read","keys:write","audit:read"]}}`,
    );
    const token = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setExpirationTime('10m').sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect(Buffer.from(token.split('.')[1]!, 'base64url').toString()).toContain('"__proto__":[');

    // Its real projects work.
    const real = await server.gql(
      `mutation { generateApiKey(input: { projectId: "real_project", name: "mine", environment: "live" }) { __typename ... on GenerateApiKeyPayload { apiKey { createdBy } } } }`,
      {},
      { token },
    );
    expect(real).toEqual({ data: { generateApiKey: { __typename: 'GenerateApiKeyPayload', apiKey: { createdBy: 'mallory' } } } });
    const constructorKey = await server.gql(`mutation { generateApiKey(input: { projectId: "constructor", name: "mine", environment: "live" }) { __typename } }`, {}, { token });
    expect(constructorKey).toEqual({ data: { generateApiKey: { __typename: 'GenerateApiKeyPayload' } } });
    const listed = await server.gql(`{ project(id: "constructor") { apiKeys { edges { node { name } } } } }`, {}, { token });
    expect(listed.errors).toBeUndefined();
    const audit = await server.gql(`{ project(id: "toString") { auditLog { edges { node { type } } } } }`, {}, { token });
    expect(audit.errors).toBeUndefined();

    // And nothing more: not toString's keys, not valueOf, not other projects, and no verifying anywhere.
    for (const query of [
      `{ project(id: "toString") { apiKeys { edges { node { id } } } } }`,
      `{ project(id: "valueOf") { apiKeys { edges { node { id } } } } }`,
      `{ project(id: "${OTHER}") { auditLog { edges { node { id } } } } }`,
      `mutation { generateApiKey(input: { projectId: "hasOwnProperty", name: "x", environment: "live" }) { __typename } }`,
    ]) {
      const body = await server.gql(query, {}, { token });
      expect(body.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
    }
    const { secret } = await generateKey(server, { projectId: 'valueOf', name: 'not mallory’s' });
    const verified = await server.gql(VERIFY_GENERAL, { s: secret }, { token });
    expect(verified.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
