import type { CombinedError } from '@urql/core';
import type { ReactNode } from 'react';

// The three states every view has besides its content.

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

export function LoadError({ error, retry }: { error: CombinedError | Error; retry?: () => void }) {
  return (
    <div className="state error" role="alert">
      <p>{describeError(error)}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** What went wrong, in words: the API's own message for a GraphQL error, a plain line for a network failure. */
export function describeError(error: CombinedError | Error): string {
  const combined = error as CombinedError;
  const status = (combined.response as Response | undefined)?.status;
  if (status === 401) return 'Your token was refused (expired or revoked). Sign in again.';
  if (status === 429) return 'Too many requests: wait a moment and try again.';
  if (status === 503) return 'The service is not ready (its database may be unavailable). Try again shortly.';
  if (combined.graphQLErrors?.length) return combined.graphQLErrors.map((e) => e.message).join(' ');
  if (combined.networkError) return 'The service could not be reached. Check your connection and try again.';
  return error.message;
}
