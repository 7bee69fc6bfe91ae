import {
  GraphQLBoolean,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  getNamedType,
  getNullableType,
  isLeafType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema';
import { generateSecret } from '../../src/secrets/api-key-secret';
import { verifyPayloadWriters } from '../../src/server/verify-payload-writer';
import { changeKey, generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// Every field of the verification payload, and of the types below it, as the schema
// lists them: a request selecting it must be answered by the fast path, and exactly
// as GraphQL execution answers it. A field added to the payload that the fast path
// cannot answer would otherwise send every gateway using it down the slow path,
// without any test noticing.

/** Selections of one field each, for every field below the verification payload, read from the schema. */
function selectionsOfEveryField(type: GraphQLObjectType, depth = 0): string[] {
  const selections = ['__typename'];
  for (const field of Object.values(type.getFields())) {
    const named = getNamedType(field.type);
    if (isLeafType(named)) selections.push(field.name);
    else if (isObjectType(named) && depth < 3) selections.push(...selectionsOfEveryField(named, depth + 1).map((inner) => `${field.name} { ${inner} }`));
    else selections.push(`${field.name} { __unanswerable__ }`); // fails validation: the test must be taught this field's shape
  }
  return selections;
}

const payloadType = getNullableType(schema.getMutationType()!.getFields().verifyApiKey!.type) as GraphQLObjectType;

describe('the verify fast path answers every field of the verification payload', () => {
  let server: TestServer;
  const secrets: Record<string, string> = {};
  let clock = Date.now();
  const now = () => new Date(clock);

  beforeAll(async () => {
    server = await startTestServer({ actor: 'gateway', now });
    const withExpiry = await generateKey(server, { projectId: 'proj_a', name: 'Ünïcödé "quoted" \\ 🔑', expiresAt: new Date(clock + 86_400_000).toISOString() });
    const forever = await generateKey(server, { projectId: 'proj_a', name: 'forever', environment: 'test' });
    const inactive = await generateKey(server, { projectId: 'proj_a', name: 'inactive' });
    const deleted = await generateKey(server, { projectId: 'proj_a', name: 'deleted' });
    const expired = await generateKey(server, { projectId: 'proj_a', name: 'expired', expiresAt: new Date(clock + 1000).toISOString() });
    await changeKey(server, 'deactivateApiKey', inactive.apiKey.id);
    await changeKey(server, 'deleteApiKey', deleted.apiKey.id);
    clock += 2000;
    Object.assign(secrets, {
      withExpiry: withExpiry.secret,
      forever: forever.secret,
      inactive: inactive.secret,
      deleted: deleted.secret,
      expired: expired.secret,
      unknown: generateSecret('live').secret,
      malformed: `${forever.secret.slice(0, -1)}!`,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const selections = selectionsOfEveryField(payloadType);

  it('lists the payload fields from the schema', () => {
    // Sanity of the walk itself: the fields a gateway relies on are among them.
    expect(selections).toEqual(expect.arrayContaining(['valid', 'code', 'key { id }', 'key { expiresAt }', 'key { __typename }']));
  });

  it.each(selections)('answers a selection of %s on the fast path, as execution does', async (selection) => {
    const query = `mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { ${selection} } }`;
    for (const [name, secret] of Object.entries(secrets)) {
      const before = server.fastPathAnswers;
      const fast = await server.post({ query, variables: { secret } });
      const fastAnswered = server.fastPathAnswers - before;
      // The fast path declines any request with extensions: this one is executed by yoga.
      const general = await server.post({ query, variables: { secret }, extensions: {} });
      expect(server.fastPathAnswers - before, `${selection} / ${name}: the reference request must not be answered by the fast path`).toBe(fastAnswered);
      const answer = async (response: Response) => ({ status: response.status, type: response.headers.get('content-type'), body: await response.text() });
      expect({ secret: name, ...(await answer(fast)) }).toEqual({ secret: name, ...(await answer(general)) });
      expect(fastAnswered, `${selection} / ${name} went to the general path`).toBe(1);
    }
  });

  it('answers all of them at once', async () => {
    const query = `mutation ($secret: String!) { verifyApiKey(input: {secret: $secret}) { ${selections.map((selection, i) => `f${i}: ${selection}`).join(' ')} } }`;
    const before = server.fastPathAnswers;
    const fast = await (await server.post({ query, variables: { secret: secrets.withExpiry } })).text();
    const general = await (await server.post({ query, variables: { secret: secrets.withExpiry }, extensions: {} })).text();
    expect(server.fastPathAnswers - before).toBe(1);
    expect(fast).toBe(general);
    expect(JSON.parse(fast).data.verifyApiKey.f0).toBe(payloadType.name);
  });
});

describe('what the fast path leaves to GraphQL execution, read from the schema', () => {
  const key = new GraphQLObjectType({
    name: 'Key',
    fields: {
      name: { type: new GraphQLNonNull(GraphQLString) },
      // Any of these would answer differently, or not at all, without execution.
      greeting: { type: GraphQLString, args: { to: { type: GraphQLString, defaultValue: 'you' } }, resolve: (_key, args) => `hello ${args.to}` },
      viewer: { type: GraphQLString, resolve: (_key, _args, context: { viewer: string }) => context.viewer },
      later: { type: GraphQLString, resolve: async () => 'later' },
      parentType: { type: GraphQLString, resolve: (_key, _args, _context, info) => info.parentType.name },
      missing: { type: new GraphQLNonNull(GraphQLString), resolve: () => null },
    },
  });
  const testSchema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLBoolean } } }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        verifyApiKey: {
          type: new GraphQLNonNull(new GraphQLObjectType({ name: 'Payload', fields: { valid: { type: GraphQLBoolean }, key: { type: key } } })),
          args: { input: { type: GraphQLString } },
        },
      },
    }),
  });
  const writers = verifyPayloadWriters(testSchema);
  const writerFor = (selection: string) => {
    const operation = parse(`mutation { verifyApiKey { ${selection} } }`).definitions[0] as OperationDefinitionNode;
    const field = operation.selectionSet.selections[0]!;
    return field.kind === Kind.FIELD && field.selectionSet ? writers(field.selectionSet) : null;
  };
  const result = { valid: true, code: 'VALID' as const, key: { id: 'k', projectId: 'p', name: 'n', environment: 'live', status: 'ACTIVE' as const, expiresAtMs: null } };

  it('answers plain fields with the schema’s own names', () => {
    expect(writerFor('__typename valid key { __typename name }')!(result)).toBe('{"__typename":"Payload","valid":true,"key":{"__typename":"Key","name":"n"}}');
  });

  it.each(['greeting', 'viewer', 'later', 'parentType', 'missing'])('declines a selection of %s', (field) => {
    expect(writerFor(`valid key { name ${field} }`)).toBeNull();
  });
});
