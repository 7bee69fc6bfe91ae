import { PothosValidationError } from '@pothos/core';
import { ForbiddenError } from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { DomainError } from '../domain/errors';
import { DatabaseUnavailableError, isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../store/database-unavailable';
import { currentRequestId } from './request-scope';

/**
 * What a client sees of an error: our typed errors keep their message and get an
 * extensions.code; GraphQL's own syntax and validation errors pass as they are; a
 * database that cannot be reached becomes UNAVAILABLE with HTTP 503 and
 * Retry-After, so load balancers and gateways see it; anything else becomes a bare
 * "Unexpected error." (no stack, no SQL). The original of those last two is logged
 * once, with the request id.
 */
export function createMaskError(logger: Logger, onUnavailable: (error: unknown) => void = () => {}) {
  return (error: unknown): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    const located = error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {};
    const path = error instanceof GraphQLError ? error.path : undefined;
    if (isDatabaseUnavailable(original)) {
      const cause = original instanceof DatabaseUnavailableError ? (original.cause ?? original) : original;
      logger.warn({ err: cause, requestId: currentRequestId(), path }, 'database unavailable');
      onUnavailable(cause);
      const message = original instanceof DatabaseUnavailableError ? original.message : new DatabaseUnavailableError().message;
      return new GraphQLError(message, {
        ...located,
        extensions: { code: 'UNAVAILABLE', http: { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } },
      });
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
    logger.error({ err: original, requestId: currentRequestId(), path }, 'unexpected error');
    // A 500, not a 200 with an error inside: monitors that count 5xx must see it.
    return new GraphQLError('Unexpected error.', { ...located, extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 500 } } });
  };
}
