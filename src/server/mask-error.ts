import { PothosValidationError } from '@pothos/core';
import { ForbiddenError } from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { DomainError } from '../domain/errors';
import { DatabaseUnavailableError, isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../store/database-unavailable';

/**
 * What a client sees of an error: our typed errors keep their message and get an
 * extensions.code; GraphQL's own syntax and validation errors pass as they are; a
 * database that cannot be reached becomes UNAVAILABLE with HTTP 503 and
 * Retry-After, so load balancers and gateways see it; anything else becomes a bare
 * "Unexpected error." (no stack, no SQL). The original of those last two rides
 * along, out of sight, for errorResponsePlugin to log once with the request id
 * (this function is not told which request it is masking for).
 */
export function createMaskError(onUnavailable: (error: unknown) => void = () => {}) {
  return (error: unknown): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    const located = error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {};
    const path = error instanceof GraphQLError ? error.path : undefined;
    if (isDatabaseUnavailable(original)) {
      const cause = original instanceof DatabaseUnavailableError ? (original.cause ?? original) : original;
      onUnavailable(cause);
      const message = original instanceof DatabaseUnavailableError ? original.message : new DatabaseUnavailableError().message;
      const masked = new GraphQLError(message, {
        ...located,
        extensions: { code: 'UNAVAILABLE', http: { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } },
      });
      return withLoggable(masked, { err: cause, path, level: 'warn', message: 'database unavailable' });
    }
    if (original instanceof DomainError) {
      return new GraphQLError(original.message, { ...located, extensions: { code: original.code } });
    }
    if (original instanceof ForbiddenError) {
      return new GraphQLError('Not allowed: your token lacks the permission this needs', { ...located, extensions: { code: 'FORBIDDEN' } });
    }
    if (original instanceof PothosValidationError) {
      return new GraphQLError(original.message, { ...located, extensions: { code: 'VALIDATION' } });
    }
    // GraphQL's own errors (syntax, validation, variable coercion) are the client's to see.
    if (error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError)) return error;
    // A 500, not a 200 with an error inside: monitors that count 5xx must see it.
    const masked = new GraphQLError('Unexpected error.', { ...located, extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 500 } } });
    return withLoggable(masked, { err: original, path, level: 'error', message: 'unexpected error' });
  };
}

/** What the log should say of a masked error: its original, never shown to the client. */
export interface Loggable {
  err: unknown;
  path: GraphQLError['path'];
  level: 'warn' | 'error';
  message: string;
}

const LOGGABLE = Symbol('loggable');

function withLoggable(error: GraphQLError, loggable: Loggable): GraphQLError {
  // Not enumerable and keyed by a symbol: no serializer ever sends it.
  Object.defineProperty(error, LOGGABLE, { value: loggable, enumerable: false });
  return error;
}

export function loggableOf(error: unknown): Loggable | undefined {
  return typeof error === 'object' && error !== null ? (error as { [LOGGABLE]?: Loggable })[LOGGABLE] : undefined;
}
