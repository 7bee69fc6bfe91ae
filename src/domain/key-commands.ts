// Commands arrive here already validated (see src/commands/inputs.ts). Those
// whose rules depend on expiry carry the moment they are decided at (`at`, epoch
// ms), so decide() stays a pure function of its arguments.

export interface GenerateKey {
  type: 'GenerateKey';
  keyId: string;
  projectId: string;
  name: string;
  environment: string;
  secretHash: string;
  maskedKey: string;
  expiresAt: string | null;
}

export interface DeactivateKey {
  type: 'DeactivateKey';
  keyId: string;
  reason: string | null;
  at: number;
}

export interface ReactivateKey {
  type: 'ReactivateKey';
  keyId: string;
  reason: string | null;
  at: number;
}

export interface DeleteKey {
  type: 'DeleteKey';
  keyId: string;
  reason: string | null;
  at: number;
}

/** Replace a key by a successor with a new secret; the old one keeps working for the grace period. */
export interface RollKey {
  type: 'RollKey';
  keyId: string;
  successorId: string;
  secretHash: string;
  maskedKey: string;
  gracePeriodSeconds: number;
  /** The successor's own expiry; null for never. */
  successorExpiresAt: string | null;
  reason: string | null;
  at: number;
}

export type KeyCommand = GenerateKey | DeactivateKey | ReactivateKey | DeleteKey | RollKey;
