import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { redactSecrets } from '../secrets/api-key-secret';

type ResultError = NonNullable<ExecutionResult['errors']>[number];

/**
 * The last word on every error a client sees, whichever layer produced it:
 * - GraphQL's parse and validation messages quote the query, so a key pasted in
 *   the wrong place would come straight back: secret-like text is redacted;
 * - yoga attaches the parser's `originalError` to bad-request errors, which quotes
 *   the body: it is dropped;
 * - errors without a code (the query-limit rules) get BAD_REQUEST, so every error is typed.
 */
export function errorResponsePlugin(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Symbol.asyncIterator in result) return; // no streaming operations in this schema
      const results = Array.isArray(result) ? result : [result];
      if (!results.some((one) => one.errors?.length)) return;
      const cleaned = results.map((one) => (one.errors ? { ...one, errors: one.errors.map(cleanError) } : one));
      setResult(Array.isArray(result) ? cleaned : cleaned[0]!);
    },
  };
}

function cleanError(error: ResultError): ResultError {
  const { originalError: _dropped, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
  // A GraphQLError again (not a plain object), so yoga still reads its HTTP status.
  return new GraphQLError(redactSecrets(error.message), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...extensions, code: extensions.code ?? 'BAD_REQUEST' },
  });
}
