import { randomUUID } from 'node:crypto';
import { generateSecret } from '../secrets/api-key-secret';
import type { CommandContext } from './command-context';
import { handleKeyCommand } from './handle-key-command';
import { changeKeyInput, generateKeyInput, parseInput } from './inputs';

export interface GenerateApiKeyInput {
  projectId: string;
  name: string;
  environment: string;
}

/** Creates a key; the returned secret exists only in this return value. */
export async function generateApiKey(ctx: CommandContext, input: GenerateApiKeyInput) {
  const { projectId, name, environment } = parseInput(generateKeyInput, input);
  const keyId = randomUUID();
  const { secret, secretHash, maskedKey } = generateSecret(environment);
  await handleKeyCommand(ctx, { type: 'GenerateKey', keyId, projectId, name, environment, secretHash, maskedKey });
  return { keyId, secret };
}

export type KeyChange = 'DeactivateKey' | 'ReactivateKey' | 'DeleteKey';

export async function changeApiKey(ctx: CommandContext, type: KeyChange, keyId: string, input: { reason?: string | null }) {
  const { reason } = parseInput(changeKeyInput, input);
  await handleKeyCommand(ctx, { type, keyId, reason });
}
