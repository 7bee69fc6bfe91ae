import {
  defaultFieldResolver,
  type GraphQLField,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { CachedKey } from '../verification/key-cache';
import type { VerificationResult } from '../verification/key-verifier';

// What the verify fast path can answer is read from the schema at startup, never
// kept by hand: the fields of verifyApiKey's payload type and of the object types
// below it, each answered by the field's own resolver and written through its
// type's own serialize, as GraphQL execution would. A field the fast path cannot
// answer the way execution does (it takes arguments, is a list or an abstract type,
// or its resolver needs the request's context, is asynchronous or fails on the
// sample results below) is left out, and a document selecting it goes to yoga.
// A test holds every field of the payload to being answered here, byte for byte as
// yoga answers it (test/server/verify-fast-path-coverage.test.ts).

/** Writes a value as JSON; throws where execution would have answered an error instead. */
export type PayloadWriter = (result: VerificationResult) => string;

interface FieldPlan {
  resolve: (source: unknown) => unknown;
  nullable: boolean;
  leaf: GraphQLLeafType | null;
  object: ObjectPlan | null;
}

interface ObjectPlan {
  typename: string;
  fields: Map<string, FieldPlan>;
}

/** Thrown by the stand-ins for the context and info a resolver would get from execution. */
class NeedsExecution extends Error {}

const refuse = () => {
  throw new NeedsExecution();
};
/** The fast path has no GraphQL context: a resolver that reads it is left to yoga. */
const NO_CONTEXT = new Proxy(Object.create(null), { get: refuse, has: refuse, ownKeys: refuse, getOwnPropertyDescriptor: refuse });
const NO_ARGUMENTS = Object.freeze({});

/** Info with the field's name only (what graphql's default resolver reads); anything else is refused. */
function infoFor(fieldName: string) {
  return new Proxy(
    { fieldName },
    { get: (target, property) => (property === 'fieldName' ? target.fieldName : refuse()), has: refuse, ownKeys: refuse, getOwnPropertyDescriptor: refuse },
  );
}

const SAMPLE_KEY: CachedKey = { id: 'key_sample', projectId: 'proj_sample', name: 'sample', environment: 'live', status: 'ACTIVE', expiresAtMs: Date.UTC(2030, 0, 1) };
/** What each resolver is tried on at startup: with and without a key, with and without an expiry. */
const SAMPLES: VerificationResult[] = [
  { valid: true, code: 'VALID', key: SAMPLE_KEY },
  { valid: false, code: 'INACTIVE', key: { ...SAMPLE_KEY, status: 'INACTIVE', expiresAtMs: null } },
  { valid: false, code: 'NOT_FOUND', key: null },
];

/** Nesting below the payload that is followed; a type that contains itself stops here. */
const MAX_DEPTH = 3;

const isThenable = (value: unknown) => typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * The writers for selections on verifyApiKey's payload, from what the schema says
 * of it. The returned function gives null for a selection it cannot answer exactly.
 */
export function verifyPayloadWriters(schema: GraphQLSchema): (selectionSet: SelectionSetNode) => PayloadWriter | null {
  const field = schema.getMutationType()?.getFields().verifyApiKey;
  const payloadType = field && getNullableType(field.type);
  if (!payloadType || !isObjectType(payloadType) || payloadType.isTypeOf) return () => null;
  const plan = objectPlan(payloadType, SAMPLES, 0);
  return (selectionSet) => selectionWriter(plan, selectionSet);
}

/** The fields of an object type that can be answered here, tried on sources like the ones it will get. */
function objectPlan(type: GraphQLObjectType, samples: readonly unknown[], depth: number): ObjectPlan {
  const fields = new Map<string, FieldPlan>();
  for (const field of Object.values(type.getFields())) {
    const plan = fieldPlan(field, samples, depth);
    if (plan) fields.set(field.name, plan);
  }
  return { typename: type.name, fields };
}

function fieldPlan(field: GraphQLField<unknown, unknown>, samples: readonly unknown[], depth: number): FieldPlan | null {
  // Arguments (even with defaults) and lists are execution's business.
  if (field.args.length > 0 || isListType(getNullableType(field.type))) return null;
  const resolver = field.resolve ?? defaultFieldResolver;
  const info = infoFor(field.name) as never;
  const resolve = (source: unknown) => {
    const value = resolver(source, NO_ARGUMENTS, NO_CONTEXT, info);
    if (isThenable(value)) throw new NeedsExecution();
    return value;
  };
  const nullable = !isNonNullType(field.type);
  let values: unknown[];
  try {
    values = samples.map(resolve);
  } catch {
    return null;
  }
  if (!nullable && values.some((value) => value == null)) return null;
  const present = values.filter((value) => value != null);
  const type = getNamedType(field.type);
  if (isLeafType(type)) {
    try {
      for (const value of present) if (type.serialize(value) === undefined) return null;
    } catch {
      return null;
    }
    return { resolve, nullable, leaf: type, object: null };
  }
  // An object type that checks what it is given (isTypeOf) would need execution's check.
  if (isObjectType(type) && !type.isTypeOf && depth < MAX_DEPTH && present.length > 0) {
    return { resolve, nullable, leaf: null, object: objectPlan(type, present, depth + 1) };
  }
  return null;
}

/** A writer for a selection set of plain fields (no fragments, directives, arguments or repeated names). */
function selectionWriter(plan: ObjectPlan, selectionSet: SelectionSetNode): ((source: unknown) => string) | null {
  const parts: { name: string; write: (source: unknown) => string }[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.directives?.length || selection.arguments?.length) return null;
    const name = JSON.stringify(selection.alias?.value ?? selection.name.value);
    if (parts.some((part) => part.name === name)) return null;
    const write = selection.name.value === '__typename' ? typenameWriter(plan) : fieldWriter(plan.fields.get(selection.name.value), selection.selectionSet);
    if (!write) return null;
    parts.push({ name, write });
  }
  return (source) => `{${parts.map((part) => `${part.name}:${part.write(source)}`).join(',')}}`;
}

function typenameWriter(plan: ObjectPlan) {
  const typename = JSON.stringify(plan.typename);
  return () => typename;
}

function fieldWriter(field: FieldPlan | undefined, selectionSet: SelectionSetNode | undefined): ((source: unknown) => string) | null {
  if (!field) return null;
  const { resolve, nullable, leaf } = field;
  if (leaf) {
    return (source) => {
      const value = resolve(source);
      if (value == null) return nullOrRefuse(nullable);
      const serialized = leaf.serialize(value);
      if (serialized === undefined) throw new NeedsExecution();
      return JSON.stringify(serialized);
    };
  }
  const nested = field.object && selectionSet && selectionWriter(field.object, selectionSet);
  if (!nested) return null;
  return (source) => {
    const value = resolve(source);
    return value == null ? nullOrRefuse(nullable) : nested(value);
  };
}

/** null where the schema allows it; a non-null field without a value is an error only execution can answer. */
function nullOrRefuse(nullable: boolean): string {
  if (!nullable) throw new NeedsExecution();
  return 'null';
}
