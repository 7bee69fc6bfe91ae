import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DocumentNode, type FieldNode, type GraphQLSchema, Kind, parse, validate } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Authenticate } from '../auth/authenticate';
import { hasPermissionAnywhere, type Principal } from '../auth/principal';
import type { KeyVerifier, VerificationResult } from '../verification/key-verifier';
import type { RequestRecord } from './request-record';
import { verifyPayloadWriters } from './verify-payload-writer';

// The hot path. Verification is nearly all of the traffic, so a plain verifyApiKey
// mutation is answered here without yoga's Fetch objects or GraphQL execution: its
// document is parsed and validated once, then answered by a serializer compiled
// from its selection set. Anything this module does not recognise exactly, and
// every error case (bad token, missing permission, bad variables), goes to the
// general path, which therefore stays the reference; a test compares the two
// byte for byte. Which fields it answers, and how, it reads from the schema
// (verify-payload-writer.ts).

/** The response body; undefined where only GraphQL execution can answer (then the general path does). */
type Serialize = (result: VerificationResult) => string | undefined;

interface CompiledVerify {
  operationName: string | null;
  /** Reads the secret from the request's variables; undefined when they are not exactly right. */
  secretOf(variables: unknown): string | undefined;
  serialize: Serialize;
}

const MAX_QUERY_LENGTH = 2000;
/** Distinct verify documents kept compiled; gateways send a handful, so the least used go first. */
const MAX_COMPILED = 1000;

export interface FastPathDeps {
  schema: GraphQLSchema;
  authenticate: Authenticate;
  verifier: KeyVerifier;
}

/**
 * Returns a handler that answers the request and gives true, or gives false without
 * touching the response. With the token and the key already cached it answers
 * synchronously: no promise, no microtask, nothing but the work itself.
 *
 * The token is checked before the document is even parsed, and a compiled
 * document is kept only once it has answered an authenticated request: anonymous
 * senders of made-up documents can neither learn about the schema here nor fill
 * the cache and push out the gateways' own documents.
 */
export function createVerifyFastPath({ schema, authenticate, verifier }: FastPathDeps) {
  const compiled = new LRUCache<string, CompiledVerify>({ max: MAX_COMPILED });
  const payloadWriters = verifyPayloadWriters(schema);

  /** The compiled document if this is exactly a verification (not yet kept: see remember). */
  function operationFor(query: string, operationName: unknown): CompiledVerify | null {
    const operation = compiled.get(query) ?? compile(schema, payloadWriters, query);
    return operation && (operationName == null || operationName === operation.operationName) ? operation : null;
  }

  /** Kept only once it has answered an authenticated request. */
  function remember(query: string, operation: CompiledVerify): void {
    if (!compiled.has(query)) compiled.set(query, operation);
  }

  /** `authenticateRequest`: the request's own authentication, shared with the general path it may hand over to. */
  return function tryVerifyFastPath(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    record: RequestRecord,
    authenticateRequest: () => Promise<Principal>,
  ): boolean | Promise<boolean> {
    const contentType = responseContentType(req);
    if (!contentType || !req.headers['content-type']?.startsWith('application/json')) return false;
    let request: { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown };
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      return false;
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request) || request.extensions !== undefined) return false;
    const { query, variables, operationName } = request;
    if (typeof query !== 'string' || !query.includes('verifyApiKey') || query.length > MAX_QUERY_LENGTH) return false;

    const principal = authenticate.cached(req.headers.authorization);
    if (!principal) return verifyAfterWaiting(authenticateRequest, res, contentType, query, variables, operationName, record);
    // Without keys:verify anywhere the general path answers FORBIDDEN.
    if (!hasPermissionAnywhere(principal, 'keys:verify')) return false;
    const operation = operationFor(query, operationName);
    const secret = operation?.secretOf(variables);
    if (!operation || secret === undefined) return false;
    // The payload is written before the verification is counted: if it cannot be, GraphQL answers and counts it, once.
    let payload: string | undefined;
    const cached = verifier.verifyFromCache(secret, principal, 'fast', (result) => (payload = operation.serialize(result)) !== undefined);
    if (!cached) return verifyByReading(res, contentType, query, operation, secret, principal, record);
    if (payload === undefined) return false;
    noteAnswer(record, operation, principal);
    answer(res, contentType, payload);
    remember(query, operation);
    return true;
  };

  /**
   * The same, when the token or the key must first be read. Any failure (a bad
   * token, a database that cannot answer) hands the request to the general path,
   * which answers it with the typed error: 401, or 503 UNAVAILABLE at once (the
   * verifier does not retry a database that just failed).
   */
  async function verifyAfterWaiting(
    authenticateRequest: () => Promise<Principal>,
    res: ServerResponse,
    contentType: string,
    query: string,
    variables: unknown,
    operationName: unknown,
    record: RequestRecord,
  ) {
    let principal: Principal;
    try {
      principal = await authenticateRequest();
    } catch {
      return false;
    }
    if (!hasPermissionAnywhere(principal, 'keys:verify')) return false;
    const operation = operationFor(query, operationName);
    const secret = operation?.secretOf(variables);
    if (!operation || secret === undefined) return false;
    return verifyByReading(res, contentType, query, operation, secret, principal, record);
  }

  /** With the token known, when the key must be read (or a foreign key costs a read). */
  async function verifyByReading(res: ServerResponse, contentType: string, query: string, operation: CompiledVerify, secret: string, principal: Principal, record: RequestRecord) {
    let payload: string | undefined;
    try {
      await verifier.verify(secret, principal, 'fast', (judged) => (payload = operation.serialize(judged)) !== undefined);
    } catch {
      return false;
    }
    if (payload === undefined) return false;
    noteAnswer(record, operation, principal);
    answer(res, contentType, payload);
    remember(query, operation);
    return true;
  }
}

/** What the access log says of a fast-path answer: the same as yoga's path would note. */
function noteAnswer(record: RequestRecord, operation: CompiledVerify, principal: Principal): void {
  record.subject = principal.subject;
  record.operationType = 'mutation';
  record.operationName = operation.operationName;
  record.rootFields = VERIFY_FIELDS;
}

const VERIFY_FIELDS = ['verifyApiKey'];

function answer(res: ServerResponse, contentType: string, payload: string): true {
  res.writeHead(200, ['content-type', contentType, 'content-length', String(Buffer.byteLength(payload))]);
  res.end(payload);
  return true;
}

/** The media type yoga would answer with for this Accept header; null where we leave the choice to yoga. */
function responseContentType(req: IncomingMessage): string | null {
  const accept = req.headers.accept;
  if (accept === undefined || accept === '*/*' || accept === 'application/json') return 'application/json; charset=utf-8';
  if (accept === 'application/graphql-response+json') return 'application/graphql-response+json; charset=utf-8';
  return null;
}

/** Compiles a document that is exactly one valid verifyApiKey mutation, or returns null. */
function compile(schema: GraphQLSchema, payloadWriters: ReturnType<typeof verifyPayloadWriters>, query: string): CompiledVerify | null {
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return null;
  }
  if (document.definitions.length !== 1 || validate(schema, document).length > 0) return null;
  const operation = document.definitions[0]!;
  if (operation.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'mutation' || operation.directives?.length) return null;
  if (operation.variableDefinitions?.some((definition) => definition.defaultValue || definition.directives?.length)) return null;

  const [field, ...others] = operation.selectionSet.selections;
  if (!field || others.length || field.kind !== Kind.FIELD || field.name.value !== 'verifyApiKey' || field.directives?.length) return null;
  const secretOf = secretReader(field);
  const payload = field.selectionSet && payloadWriters(field.selectionSet);
  if (!secretOf || !payload) return null;
  const responseName = JSON.stringify(field.alias?.value ?? field.name.value);
  return {
    operationName: operation.name?.value ?? null,
    secretOf,
    serialize(result) {
      try {
        return `{"data":{${responseName}:${payload(result)}}}`;
      } catch {
        // Not seen in the startup checks of the schema's resolvers (verify-payload-writer.ts);
        // the general path answers instead, and counts the verification (once: nothing was counted yet).
        return undefined;
      }
    },
  };
}

/** input: { secret: $var } or input: $var. A literal secret is left to the general path, and never cached. */
function secretReader(field: FieldNode): CompiledVerify['secretOf'] | null {
  const input = field.arguments?.[0]?.value;
  if (!input) return null;
  const plainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (input.kind === Kind.VARIABLE) {
    const name = input.name.value;
    return (variables) => {
      const value = plainObject(variables) ? variables[name] : undefined;
      if (!plainObject(value) || Object.keys(value).length !== 1 || typeof value.secret !== 'string') return undefined;
      return value.secret;
    };
  }
  if (input.kind === Kind.OBJECT && input.fields.length === 1 && input.fields[0]!.value.kind === Kind.VARIABLE) {
    const name = input.fields[0]!.value.name.value;
    return (variables) => {
      const value = plainObject(variables) ? variables[name] : undefined;
      return typeof value === 'string' ? value : undefined;
    };
  }
  return null;
}
