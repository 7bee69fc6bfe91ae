import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { redactSecrets } from '../secrets/api-key-secret';
import { loggableOf } from './mask-error';

type ResultError = NonNullable<ExecutionResult['errors']>[number];

/**
 * The last word on every error a client sees, whichever layer produced it:
 * - GraphQL's parse and validation messages quote the query, so a key pasted in
 *   the wrong place would come straight back: secret-like text is redacted;
 * - yoga attaches the parser's `originalError` to bad-request errors, which quotes
 *   the body: it is dropped;
 * - errors without a code (the query-limit rules) get BAD_REQUEST, so every error is typed;
 * - what masking hid (a database failure, a bug) is logged here, once, with the request id.
 */
export function errorResponsePlugin(logger: Logger): Plugin<Record<string, never>, { requestId?: string }> {
  return {
    onResultProcess({ result, setResult, serverContext }) {
      const clean = (one: ExecutionResult) => cleanResult(one, logger, serverContext.requestId);
      // A subscription's stream: each result it yields is cleaned on its way out.
      if (Symbol.asyncIterator in result) return setResult(mapStream(result, clean));
      const results = Array.isArray(result) ? result : [result];
      if (!results.some((one) => one.errors?.length)) return;
      setResult(Array.isArray(result) ? results.map(clean) : clean(result as ExecutionResult));
    },
  };
}

function cleanResult(result: ExecutionResult, logger: Logger, requestId: string | undefined): ExecutionResult {
  if (!result.errors?.length) return result;
  for (const error of result.errors) {
    const loggable = loggableOf(error);
    if (loggable) logger[loggable.level]({ err: loggable.err, requestId, path: loggable.path }, loggable.message);
  }
  return { ...result, errors: result.errors.map(cleanError) };
}

/**
 * The same stream with each value mapped. Written out, not as an async generator,
 * so return() reaches the source at once when the client goes away.
 */
function mapStream<T, U>(source: AsyncIterable<T>, map: (value: T) => U): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  const mapped: AsyncIterableIterator<U> = {
    next: async () => {
      const next = await iterator.next();
      return next.done ? next : { done: false, value: map(next.value) };
    },
    return: async () => {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
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
