import { useCallback } from 'react';
import { useMutation } from 'urql';
import { type ApiError, isApiError } from '../api/types';
import { describeError } from '../ui/states';

export type Outcome<Payload> = { ok: true; payload: Payload } | { ok: false; error: ApiError | null; message: string };

/**
 * Runs one of the key mutations and says how it went: its payload, or the API's typed
 * error (with its message, and field issues for a ValidationError), or a plain line
 * when the request itself failed. urql then refetches what showed the key.
 */
export function useKeyMutation<Payload>(document: string, field: string) {
  const [{ fetching }, execute] = useMutation<Record<string, (Payload & { __typename: string }) | ApiError>>(document);
  const run = useCallback(
    async (input: Record<string, unknown>): Promise<Outcome<Payload>> => {
      const result = await execute({ input }, { additionalTypenames: ['ApiKey', 'AuditEvent'] });
      const answer = result.data?.[field];
      if (result.error || !answer) return { ok: false, error: null, message: result.error ? describeError(result.error) : 'The service gave no answer.' };
      if (isApiError(answer)) return { ok: false, error: answer, message: answer.message };
      return { ok: true, payload: answer as Payload };
    },
    [execute, field],
  );
  return { run, fetching };
}

/** Errors that mean the row on screen is out of date (another client changed the key). */
export function isStale(error: ApiError | null): boolean {
  return error?.__typename === 'ConflictError' || error?.__typename === 'InvalidStateError' || error?.__typename === 'NotFoundError';
}
