import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { redactSecrets } from '../secrets/api-key-secret';

/**
 * GraphQL's own parse and validation messages quote literals from the query, so a
 * key pasted in the wrong place would come straight back in the error. Every error
 * message leaves through here, whichever layer produced it.
 */
export function redactSecretsPlugin(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Symbol.asyncIterator in result) return; // no streaming operations in this schema
      const results = Array.isArray(result) ? result : [result];
      if (!results.some((one) => one.errors?.some((error) => redactSecrets(error.message) !== error.message))) return;
      const redacted = results.map((one) => ({ ...one, errors: one.errors?.map(redactError) }));
      setResult(Array.isArray(result) ? redacted : redacted[0]!);
    },
  };
}

function redactError(error: NonNullable<ExecutionResult['errors']>[number]) {
  const message = redactSecrets(error.message);
  if (message === error.message) return error;
  // Keep the error's other members (locations, path, extensions) as GraphQL would serialise them.
  const plain = typeof error.toJSON === 'function' ? error.toJSON() : { ...error };
  return { ...plain, message } as unknown as typeof error;
}
