// A key's lifecycle is one stream of the chained log, named by the key's id.
// (Usage has a log of its own, src/usage/; the books' events have a stream of
// their own, events/books-events.ts.)

export function lifecycleStreamId(keyId: string): string {
  return keyId;
}
