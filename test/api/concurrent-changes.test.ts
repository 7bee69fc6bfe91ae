import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

describe('concurrent changes to one key', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('lets one of many simultaneous deactivations win; the rest get a Conflict or InvalidState, never a 500', async () => {
    for (let round = 0; round < 5; round++) {
      const { apiKey } = await generateKey(server);
      const results = await Promise.all(Array.from({ length: 8 }, () => changeKey(server, 'deactivateApiKey', apiKey.id)));
      const kinds = results.map((result) => result.__typename);
      expect(kinds.filter((kind) => kind === 'DeactivateApiKeyPayload')).toHaveLength(1);
      expect(kinds.every((kind) => ['DeactivateApiKeyPayload', 'ConflictError', 'InvalidStateError'].includes(kind))).toBe(true);
      const versions = await server.db
        .selectFrom('events')
        .select('stream_version')
        .where('stream_id', '=', Buffer.from(apiKey.id, 'base64').toString().slice('ApiKey:'.length))
        .orderBy('stream_version')
        .execute();
      expect(versions.map((row) => row.stream_version)).toEqual([1, 2]);
    }
  });

  it('keeps every conflict typed when deactivate, reactivate and delete race', async () => {
    const { apiKey } = await generateKey(server);
    const mutations = ['deactivateApiKey', 'reactivateApiKey', 'deleteApiKey'] as const;
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => changeKey(server, mutations[i % 3]!, apiKey.id)));
    const allowed = ['DeactivateApiKeyPayload', 'ReactivateApiKeyPayload', 'DeleteApiKeyPayload', 'ConflictError', 'InvalidStateError'];
    expect(results.every((result) => allowed.includes(result.__typename))).toBe(true);
    const final = await server.gql(`query ($id: ID!) { apiKey(id: $id) { status version } }`, { id: apiKey.id });
    const successes = results.filter((result) => result.__typename.endsWith('Payload')).length;
    expect(final.data.apiKey.version).toBe(1 + successes);
  });
});
