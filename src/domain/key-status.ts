import type { KeyStatus } from '../../events/key-events';

/** What a key's status is at a moment: the lifecycle status, or EXPIRED once its expiry has passed. */
export const KEY_VIEW_STATUSES = ['ACTIVE', 'INACTIVE', 'EXPIRED', 'DELETED'] as const;
export type KeyViewStatus = (typeof KEY_VIEW_STATUSES)[number];

/**
 * Deletion is final and says the most; otherwise a passed expiry wins over
 * INACTIVE, since an expired key can never verify again.
 */
export function statusAt(status: KeyStatus, expiresAt: string | null, at: number): KeyViewStatus {
  return statusAtMs(status, expiresAt === null ? null : Date.parse(expiresAt), at);
}

/** The same, with the expiry already in epoch ms (verification, on every request). */
export function statusAtMs(status: KeyStatus, expiresAtMs: number | null, at: number): KeyViewStatus {
  if (status === 'DELETED') return 'DELETED';
  if (expiresAtMs !== null && expiresAtMs <= at) return 'EXPIRED';
  return status;
}
