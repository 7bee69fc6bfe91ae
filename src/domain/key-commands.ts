// Commands arrive here already validated (see src/commands/inputs.ts).

export interface GenerateKey {
  type: 'GenerateKey';
  keyId: string;
  projectId: string;
  name: string;
  environment: string;
  secretHash: string;
  maskedKey: string;
}

export interface DeactivateKey {
  type: 'DeactivateKey';
  keyId: string;
  reason: string | null;
}

export interface ReactivateKey {
  type: 'ReactivateKey';
  keyId: string;
  reason: string | null;
}

export interface DeleteKey {
  type: 'DeleteKey';
  keyId: string;
  reason: string | null;
}

export type KeyCommand = GenerateKey | DeactivateKey | ReactivateKey | DeleteKey;
