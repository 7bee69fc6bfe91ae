import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/core';
import { createClient as createSseClient } from 'graphql-sse';

// urql, with its document cache: a mutation whose answer holds an ApiKey refetches every
// query that showed one, so a row, a list and a detail page follow each change without
// hand-written cache updates. Subscriptions go over server-sent events (graphql-sse, the
// protocol the service speaks), with the same bearer token as every other request.

interface ClientOptions {
  token: string;
  /** A request was refused for its token (expired, revoked): the console asks for another. */
  onUnauthorized(): void;
  /** A request was answered with data: the token works. */
  onAccepted?(): void;
}

function endpoint(): string {
  return new URL('graphql', document.baseURI).toString();
}

export function createApiClient({ token, onUnauthorized, onAccepted }: ClientOptions): Client {
  const authorization = `Bearer ${token}`;
  const sse = createSseClient({
    url: endpoint(),
    headers: { authorization },
    singleConnection: false,
    retryAttempts: 5,
  });
  return new Client({
    url: endpoint(),
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { authorization } }),
    exchanges: [
      mapExchange({
        onError(error) {
          if ((error.response as Response | undefined)?.status === 401) onUnauthorized();
        },
        onResult(result) {
          if (result.data) onAccepted?.();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const dispose = sse.subscribe(input, sink as never);
              return { unsubscribe: dispose };
            },
          };
        },
      }),
    ],
  });
}
