import { createClient, type ExecutionResult } from 'graphql-sse';

/** Polls until `check` holds: the server registers a stream a moment after the client opens it. */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A subscription through a real GraphQL-over-SSE client (graphql-sse, distinct
 * connections mode: one POST with Accept: text/event-stream per subscription).
 */
export function sseSubscription<T = any>(url: string, token: string, query: string, variables: Record<string, unknown>) {
  // A refused request is not worth retrying here; graphql-sse would retry 5 times by default.
  const client = createClient({ url: `${url}/graphql`, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const iterator = client.iterate<T>({ query, variables })[Symbol.asyncIterator]();
  return {
    /** The next `count` results, failing if they do not all come within the timeout. */
    async take(count: number, timeoutMs = 5000): Promise<ExecutionResult<T, unknown>[]> {
      const results: ExecutionResult<T, unknown>[] = [];
      const deadline = setTimeout(() => void iterator.return?.(), timeoutMs);
      try {
        while (results.length < count) {
          const next = await iterator.next();
          if (next.done) break;
          results.push(next.value);
        }
      } finally {
        clearTimeout(deadline);
      }
      return results;
    },
    /** Whether the stream ended (the server completed it) within the timeout. */
    async ended(timeoutMs = 5000): Promise<boolean> {
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
      const next = await Promise.race([iterator.next(), timeout]);
      return next !== 'timeout' && next.done === true;
    },
    async close() {
      await iterator.return?.();
      client.dispose();
    },
  };
}
