import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';
import { parseExposition, sampleSum } from './prometheus-text';

// The fast path writes its payload before the verification is counted. When it cannot
// write one (here a stored expiry that is not a date, so the DateTime scalar refuses it),
// it hands the request to GraphQL, which answers and counts it: once, not twice.

describe('a verification the fast path cannot answer is counted once, by the path that answers it', () => {
  let server: TestServer;
  let secret: string;
  let keyId: string;

  beforeAll(async () => {
    server = await startTestServer({ actor: 'gateway' });
    const key = await generateKey(server, { projectId: 'proj', name: 'odd expiry', expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    secret = key.secret;
    keyId = key.apiKey.id;
    // A hostile database state: the verifier reads the row, but its expiry cannot be serialised.
    const updated = await server.db.updateTable('api_keys').set({ expires_at: 'not a date' }).where('project_id', '=', 'proj').executeTakeFirst();
    expect(Number(updated.numUpdatedRows)).toBe(1);
  });
  afterAll(() => server.close());

  it('records one use and one metric, and the answer is GraphQL’s', async () => {
    const answer = await server.gql('mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { valid code key { id expiresAt } } }', { secret });
    expect(server.fastPathAnswers).toBe(0);
    expect(answer.data?.verifyApiKey?.code ?? answer.errors?.[0]?.extensions?.code).toBeDefined();

    await server.flushUsage();
    const usage = await server.gql('query ($id: ID!) { node(id: $id) { ... on ApiKey { usageCount } } }', { id: keyId });
    expect(usage.data?.node?.usageCount).toBe(1);

    const metrics = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
    const counted = metrics.samples.filter((sample) => sample.name === 'apikeys_verifications_total').reduce((total, sample) => total + sample.value, 0);
    expect(counted).toBe(1);
    // Counted by GraphQL, which answered it, and not by the fast path that handed it over.
    expect(sampleSum(metrics, 'apikeys_verifications_total', { path: 'graphql' })).toBe(1);
    expect(sampleSum(metrics, 'apikeys_verifications_total', { path: 'fast' })).toBe(0);
    expect(sampleSum(metrics, 'apikeys_verification_duration_seconds_count', { path: 'graphql' })).toBe(1);
    expect(sampleSum(metrics, 'apikeys_verification_duration_seconds_count', { path: 'fast' })).toBe(0);
  });
});
