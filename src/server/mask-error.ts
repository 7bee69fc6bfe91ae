import { PothosValidationError } from '@pothos/core';
import { ForbiddenError } from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { DomainError } from '../domain/errors';

/**
 * What a client sees of an error: our typed errors keep their message and get an
 * extensions.code; GraphQL's own syntax and validation errors pass as they are;
 * anything else becomes a bare "Unexpected error." (no stack, no SQL) and is logged.
 */
export function createMaskError(logger: Logger) {
  return (error: unknown): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    const located = error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {};
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
    logger.error({ err: original, path: error instanceof GraphQLError ? error.path : undefined }, 'unexpected error');
    return new GraphQLError('Unexpected error.', { ...located, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
}
