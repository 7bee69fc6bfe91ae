import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../domain/errors';
import { generateSecret } from '../secrets/api-key-secret';
import type { CommandContext } from './command-context';
import { handleKeyCommand, handleKeyCommandFor } from './handle-key-command';
import { changeKeyInput, checkExpiry, generateKeyInput, parseInput, rollKeyInput } from './inputs';

export interface GenerateApiKeyInput {
  projectId: string;
  name: string;
  environment: string;
  expiresAt?: Date | null;
}

/** Creates a key; the returned secret exists only in this return value. */
export async function generateApiKey(ctx: CommandContext, input: GenerateApiKeyInput) {
  const { projectId, name, environment, expiresAt } = parseInput(generateKeyInput, input);
  const expiry = checkExpiry(expiresAt, ctx.now());
  const keyId = randomUUID();
  const { secret, secretHash, maskedKey } = generateSecret(environment);
  await handleKeyCommand(ctx, { type: 'GenerateKey', keyId, projectId, name, environment, secretHash, maskedKey, expiresAt: expiry });
  return { keyId, secret };
}

export type KeyChange = 'DeactivateKey' | 'ReactivateKey' | 'DeleteKey';

export interface ChangeApiKeyInput {
  reason?: string | null;
  /** The key's version the caller last saw; absent or null acts on the key as it is. */
  expectedVersion?: number | null;
}

export async function changeApiKey(ctx: CommandContext, type: KeyChange, keyId: string, input: ChangeApiKeyInput) {
  const { reason, expectedVersion } = parseInput(changeKeyInput, input);
  await handleKeyCommand(ctx, { type, keyId, reason, at: ctx.now().getTime() }, { expectedVersion });
}

export interface RollApiKeyInput {
  gracePeriodSeconds: number;
  expiresAt?: Date | null;
  reason?: string | null;
  /** The key's version the caller last saw; absent or null acts on the key as it is. */
  expectedVersion?: number | null;
}

/** Replaces a key by a successor; the successor's secret exists only in this return value. */
export async function rollApiKey(ctx: CommandContext, keyId: string, input: RollApiKeyInput) {
  const now = ctx.now();
  const { gracePeriodSeconds, expiresAt, reason, expectedVersion } = parseInput(rollKeyInput, input);
  const successorExpiresAt = checkExpiry(expiresAt, now);
  const successorId = randomUUID();
  let secret = '';
  await handleKeyCommandFor(
    ctx,
    keyId,
    (state) => {
      if (!state.exists) throw new NotFoundError('ApiKey', keyId);
      const generated = generateSecret(state.environment);
      secret = generated.secret;
      return {
        type: 'RollKey',
        keyId,
        successorId,
        secretHash: generated.secretHash,
        maskedKey: generated.maskedKey,
        gracePeriodSeconds,
        successorExpiresAt,
        reason,
        at: now.getTime(),
      };
    },
    { expectedVersion },
  );
  return { keyId: successorId, secret };
}
