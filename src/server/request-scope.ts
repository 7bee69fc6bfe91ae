import { AsyncLocalStorage } from 'node:async_hooks';

// The request a piece of work belongs to, for log lines written far from the
// HTTP handler (error masking, the database layer) that must still name it.
const scope = new AsyncLocalStorage<{ requestId: string }>();

export function runInRequestScope<T>(requestId: string, work: () => T): T {
  return scope.run({ requestId }, work);
}

export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
