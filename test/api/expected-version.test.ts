import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKeyInput, parseInput, rollKeyInput } from '../../src/commands/inputs';
import { ValidationError } from '../../src/domain/errors';
import { changeKey, generateKey, snapshotTables } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// A console sends the version it showed; a key changed since then must answer
// ConflictError and write nothing, rather than act on a state nobody saw.

type Mutation = 'deactivateApiKey' | 'reactivateApiKey' | 'deleteApiKey' | 'rollApiKey';
const MUTATIONS: Mutation[] = ['deactivateApiKey', 'reactivateApiKey', 'deleteApiKey', 'rollApiKey'];

const typeName = (mutation: Mutation) => mutation[0]!.toUpperCase() + mutation.slice(1);
const KEY = 'id status version rotatedTo { id }';

describe('expectedVersion on the key-changing mutations', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  /** Sends one mutation; a roll gets a grace period unless the input names one. */
  async function act(mutation: Mutation, input: Record<string, unknown>) {
    const full = mutation === 'rollApiKey' ? { gracePeriodSeconds: 3600, ...input } : input;
    const body = await server.gql(
      `mutation ($input: ${typeName(mutation)}Input!) {
        result: ${mutation}(input: $input) {
          __typename
          ... on Error { message code }
          ... on ValidationError { issues { path message } }
          ... on ${typeName(mutation)}Payload { keyId }
        }
      }`,
      { input: full },
    );
    if (body.errors) throw new Error(`${mutation} errored: ${JSON.stringify(body.errors)}`);
    return body.data.result as Record<string, any>;
  }

  async function key(id: string) {
    const body = await server.gql(`query ($id: ID!) { apiKey(id: $id) { ${KEY} auditHistory(first: 100) { edges { node { type } } } } }`, { id });
    return body.data.apiKey as { status: string; version: number; rotatedTo: { id: string } | null; auditHistory: { edges: unknown[] } };
  }

  /**
   * A key the mutation accepts, already changed twice (or three times), so
   * there is an older version a console could still be showing.
   */
  async function keyFor(mutation: Mutation) {
    const { apiKey } = await generateKey(server, { projectId: `proj_${mutation}` });
    await changeKey(server, 'deactivateApiKey', apiKey.id);
    await changeKey(server, 'reactivateApiKey', apiKey.id);
    if (mutation === 'reactivateApiKey') await changeKey(server, 'deactivateApiKey', apiKey.id);
    const { version } = await key(apiKey.id);
    return { id: apiKey.id, version };
  }

  /** Runs a request and checks that no table changed. */
  async function unchanged<T>(request: () => Promise<T>): Promise<T> {
    const before = await snapshotTables(server);
    const result = await request();
    expect(await snapshotTables(server)).toEqual(before);
    return result;
  }

  describe.each(MUTATIONS)('%s', (mutation) => {
    it('acts when expectedVersion is the version the key has', async () => {
      const { id, version } = await keyFor(mutation);
      const result = await act(mutation, { id, expectedVersion: version });
      expect(result.__typename).toBe(`${typeName(mutation)}Payload`);
      expect((await key(id)).version).toBe(version + 1);
    });

    it('answers a stale expectedVersion with ConflictError and writes nothing', async () => {
      const { id, version } = await keyFor(mutation);
      const before = await key(id);
      const keysBefore = await server.db.selectFrom('api_keys').select('id').execute();

      const result = await unchanged(() => act(mutation, { id, expectedVersion: version - 1 }));
      expect(result).toEqual({
        __typename: 'ConflictError',
        code: 'CONFLICT',
        message: `The key was changed by another request since version ${version - 1} (now version ${version}); reload it and try again.`,
      });
      // Its version, status and history as they were; a roll made no successor.
      expect(await key(id)).toEqual(before);
      expect(before.rotatedTo).toBeNull();
      expect(await server.db.selectFrom('api_keys').select('id').execute()).toHaveLength(keysBefore.length);
    });

    it('acts on the key as it is when expectedVersion is omitted or null', async () => {
      for (const input of [{}, { expectedVersion: null }]) {
        const { id, version } = await keyFor(mutation);
        const result = await act(mutation, { id, ...input });
        expect(result.__typename).toBe(`${typeName(mutation)}Payload`);
        expect((await key(id)).version).toBe(version + 1);
      }
    });

    it('rejects a negative expectedVersion as a ValidationError on input.expectedVersion', async () => {
      const { id } = await keyFor(mutation);
      const result = await unchanged(() => act(mutation, { id, expectedVersion: -1 }));
      expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION' });
      expect(result.issues).toEqual([{ path: 'input.expectedVersion', message: expect.stringContaining('negative') }]);
    });
  });

  it('answers Conflict rather than InvalidState when the key moved to a status the caller never saw', async () => {
    const { apiKey } = await generateKey(server);
    await changeKey(server, 'deactivateApiKey', apiKey.id); // someone else, meanwhile
    const result = await unchanged(() => act('deactivateApiKey', { id: apiKey.id, expectedVersion: 1 }));
    expect(result).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining('since version 1 (now version 2)') });
  });

  it('lets one of many simultaneous changes at the same expectedVersion win; every other one gets a Conflict', async () => {
    const { apiKey } = await generateKey(server);
    const results = await Promise.all(Array.from({ length: 8 }, () => act('deactivateApiKey', { id: apiKey.id, expectedVersion: 1 })));
    const kinds = results.map((result) => result.__typename);
    expect(kinds.filter((kind) => kind === 'DeactivateApiKeyPayload')).toHaveLength(1);
    expect(kinds.filter((kind) => kind === 'ConflictError')).toHaveLength(7);
    expect((await key(apiKey.id)).version).toBe(2);
  });

  it('refuses a version beyond 2^31-1: GraphQL’s Int before any resolver, the command’s own rule behind it', async () => {
    const { apiKey } = await generateKey(server);
    const body = await unchanged(() =>
      server.gql(`mutation ($input: DeactivateApiKeyInput!) { deactivateApiKey(input: $input) { __typename } }`, {
        input: { id: apiKey.id, expectedVersion: 2 ** 31 },
      }),
    );
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.message).toContain('expectedVersion');

    for (const [schema, input] of [
      [changeKeyInput, {}],
      [rollKeyInput, { gracePeriodSeconds: 0 }],
    ] as const) {
      const rejected = (() => {
        try {
          parseInput(schema, { ...input, expectedVersion: 2 ** 31 });
        } catch (error) {
          return error;
        }
      })();
      expect(rejected).toBeInstanceOf(ValidationError);
      expect((rejected as ValidationError).issues).toEqual([{ path: 'input.expectedVersion', message: expect.stringContaining('2147483647') }]);
      expect(parseInput(schema, { ...input, expectedVersion: 2 ** 31 - 1 }).expectedVersion).toBe(2 ** 31 - 1);
    }
  });
});
