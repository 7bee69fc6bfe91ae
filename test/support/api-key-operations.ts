import type { TestServer } from './test-server';

// The operations tests use again and again, written once.

export const KEY_FIELDS = `id projectId name environment maskedKey status createdAt createdBy lastUsedAt usageCount
  deactivatedAt deletedAt statusChangedAt statusChangedBy statusReason version expiresAt
  rotatedFrom { id } rotatedTo { id }`;

export async function generateKey(server: TestServer, input: { projectId?: string; name?: string; environment?: string; expiresAt?: string } = {}) {
  const body = await server.gql(
    `mutation ($input: GenerateApiKeyInput!) {
      generateApiKey(input: $input) {
        __typename
        ... on GenerateApiKeyPayload { secret apiKey { ${KEY_FIELDS} } }
        ... on ValidationError { message code issues { path message } }
      }
    }`,
    { input: { projectId: 'proj_1', name: 'Default key', environment: 'live', ...input } },
  );
  const result = body.data?.generateApiKey;
  if (result?.__typename !== 'GenerateApiKeyPayload') throw new Error(`generate failed: ${JSON.stringify(body)}`);
  return result as { secret: string; apiKey: Record<string, any> & { id: string } };
}

export type KeyChange = 'deactivateApiKey' | 'reactivateApiKey' | 'deleteApiKey';

export async function changeKey(server: TestServer, mutation: KeyChange, id: string, reason?: string | null) {
  const body = await server.gql(
    `mutation ($input: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) {
      result: ${mutation}(input: $input) {
        __typename
        ... on Error { message code }
        ... on InvalidStateError { currentStatus }
        ... on ValidationError { issues { path message } }
        ... on ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Payload { apiKey { ${KEY_FIELDS} } }
      }
    }`,
    { input: { id, reason } },
  );
  if (body.errors) throw new Error(`${mutation} errored: ${JSON.stringify(body.errors)}`);
  return body.data.result as Record<string, any>;
}

export async function rollKey(server: TestServer, input: { id: string; gracePeriodSeconds: unknown; reason?: string; expiresAt?: string }) {
  const body = await server.gql(
    `mutation ($input: RollApiKeyInput!) {
      rollApiKey(input: $input) {
        __typename
        ... on Error { message code }
        ... on InvalidStateError { currentStatus }
        ... on ValidationError { issues { path message } }
        ... on RollApiKeyPayload { secret apiKey { ${KEY_FIELDS} } previousKey { ${KEY_FIELDS} } }
      }
    }`,
    { input },
  );
  if (body.errors) throw new Error(`rollApiKey errored: ${JSON.stringify(body.errors)}`);
  return body.data.rollApiKey as Record<string, any>;
}

export async function verify(server: TestServer, secret: string) {
  const body = await server.gql(
    `mutation ($secret: String!) {
      verifyApiKey(input: { secret: $secret }) { valid code key { id projectId name environment expiresAt } }
    }`,
    { secret },
  );
  if (body.errors) throw new Error(`verify errored: ${JSON.stringify(body.errors)}`);
  return body.data.verifyApiKey as { valid: boolean; code: string; key: Record<string, string> | null };
}

/**
 * Every row of the event log and the projections, to compare before and after.
 * Buffered usage is written first, so a usage window closing mid-test cannot pass
 * for a write the test caused.
 */
export async function snapshotTables(server: TestServer) {
  await server.flushUsage();
  return {
    events: await server.db.selectFrom('events').selectAll().orderBy('position').execute(),
    api_keys: await server.db.selectFrom('api_keys').selectAll().orderBy('id').execute(),
    audit_events: await server.db.selectFrom('audit_events').selectAll().orderBy('position').execute(),
  };
}
