// A key's lifecycle and its usage are separate streams, so a burst of
// verifications never competes with a deactivate for the same stream version.

export function lifecycleStreamId(keyId: string): string {
  return keyId;
}

export function usageStreamId(keyId: string): string {
  return `${keyId}:usage`;
}
