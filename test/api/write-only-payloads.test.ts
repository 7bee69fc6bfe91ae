import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// keys:write lets a caller change keys, not read them: a mutation's answer must not
// become a way round keys:read. It names the key it acted on, nothing more.

const DETAILS = 'id name usageCount lastUsedAt createdBy status';

const GENERATE = `mutation ($input: GenerateApiKeyInput!) { generateApiKey(input: $input) {
  __typename ... on Error { code message } ... on GenerateApiKeyPayload { keyId secret apiKey { ${DETAILS} } } } }`;
const change = (field: string, type: string) => `mutation ($id: ID!) { result: ${field}(input: { id: $id }) {
  __typename ... on Error { code message } ... on ${type} { keyId apiKey { ${DETAILS} } } } }`;
const ROLL = `mutation ($id: ID!) { rollApiKey(input: { id: $id, gracePeriodSeconds: 60 }) {
  __typename ... on Error { code message } ... on RollApiKeyPayload { keyId previousKeyId secret apiKey { ${DETAILS} } previousKey { ${DETAILS} } } } }`;

describe('mutation payloads show key details only with keys:read', () => {
  let server: TestServer;
  let writer: string;
  let readerWriter: string;
  beforeAll(async () => {
    server = await startTestServer();
    writer = await server.tokenFor('writer', { proj_w: ['keys:write'] });
    readerWriter = await server.tokenFor('owner', { proj_w: ['keys:read', 'keys:write'] });
  });
  afterAll(() => server.close());

  it('answers a keys:write-only caller with the key’s id and no details', async () => {
    const generated = await server.gql(GENERATE, { input: { projectId: 'proj_w', name: 'write only', environment: 'live' } }, { token: writer });
    expect(generated.errors).toBeUndefined();
    const { keyId, secret, apiKey } = generated.data.generateApiKey;
    expect(apiKey).toBeNull();
    expect(secret).toMatch(/^ak_live_/);
    // The id is the key's real global id: a reader finds the key under it.
    const listed = await server.gql(`{ project(id: "proj_w") { apiKeys { edges { node { id name } } } } }`);
    expect(listed.data.project.apiKeys.edges.map((edge: any) => edge.node)).toContainEqual({ id: keyId, name: 'write only' });

    for (const [field, type] of [
      ['deactivateApiKey', 'DeactivateApiKeyPayload'],
      ['reactivateApiKey', 'ReactivateApiKeyPayload'],
    ]) {
      const body = await server.gql(change(field!, type!), { id: keyId }, { token: writer });
      expect(body, field).toEqual({ data: { result: { __typename: type, keyId, apiKey: null } } });
    }

    const rolled = await server.gql(ROLL, { id: keyId }, { token: writer });
    expect(rolled.errors).toBeUndefined();
    expect(rolled.data.rollApiKey).toMatchObject({ __typename: 'RollApiKeyPayload', previousKeyId: keyId, apiKey: null, previousKey: null });
    expect(rolled.data.rollApiKey.keyId).not.toBe(keyId);
    expect(rolled.data.rollApiKey.secret).toMatch(/^ak_live_/);

    const deleted = await server.gql(change('deleteApiKey', 'DeleteApiKeyPayload'), { id: rolled.data.rollApiKey.keyId }, { token: writer });
    expect(deleted).toEqual({ data: { result: { __typename: 'DeleteApiKeyPayload', keyId: rolled.data.rollApiKey.keyId, apiKey: null } } });
  });

  it('answers a caller with keys:read and keys:write with the key itself', async () => {
    const generated = await server.gql(GENERATE, { input: { projectId: 'proj_w', name: 'readable', environment: 'live' } }, { token: readerWriter });
    const { keyId, apiKey } = generated.data.generateApiKey;
    expect(apiKey).toEqual({ id: keyId, name: 'readable', usageCount: 0, lastUsedAt: null, createdBy: 'owner', status: 'ACTIVE' });

    const deactivated = await server.gql(change('deactivateApiKey', 'DeactivateApiKeyPayload'), { id: keyId }, { token: readerWriter });
    expect(deactivated.data.result).toMatchObject({ keyId, apiKey: { id: keyId, name: 'readable', status: 'INACTIVE' } });
    await server.gql(change('reactivateApiKey', 'ReactivateApiKeyPayload'), { id: keyId }, { token: readerWriter });

    const rolled = await server.gql(ROLL, { id: keyId }, { token: readerWriter });
    const payload = rolled.data.rollApiKey;
    expect(payload).toMatchObject({ previousKeyId: keyId, apiKey: { id: payload.keyId, name: 'readable' }, previousKey: { id: keyId, name: 'readable' } });
  });

  it('a write-only token of the whole platform (keys:write on "*") still reads nothing of a project', async () => {
    const platformWriter = await server.tokenFor('automation', { '*': ['keys:write'], proj_other: ['keys:read'] });
    const { apiKey } = await generateKey(server, { projectId: 'proj_w', name: 'for automation' });
    const body = await server.gql(change('deactivateApiKey', 'DeactivateApiKeyPayload'), { id: apiKey.id }, { token: platformWriter });
    expect(body).toEqual({ data: { result: { __typename: 'DeactivateApiKeyPayload', keyId: apiKey.id, apiKey: null } } });
  });
});
