import { InvalidStateError } from '../domain/errors';
import { hashSecret, parseSecret } from '../secrets/api-key-secret';
import { findApiKeyByHash, type ApiKeyRow } from '../queries/api-key-queries';
import type { CommandContext } from './command-context';
import { handleKeyCommand } from './handle-key-command';

export type VerificationCode = 'VALID' | 'NOT_FOUND' | 'MALFORMED' | 'INACTIVE' | 'DELETED';

export interface VerificationResult {
  valid: boolean;
  code: VerificationCode;
  key: ApiKeyRow | null;
}

/**
 * Answers whether a presented secret is a usable key and records the use.
 * Malformed input is rejected offline by the checksum; a well-formed secret is
 * looked up by its SHA-256 through the unique index, never compared in a loop.
 */
export async function verifyApiKey(
  ctx: CommandContext,
  secret: string,
  mayVerify: (projectId: string) => boolean,
): Promise<VerificationResult> {
  if (!parseSecret(secret)) return { valid: false, code: 'MALFORMED', key: null };
  const key = await findApiKeyByHash(ctx.db, hashSecret(secret));
  // A key of a project the caller may not verify for is, to that caller, no key at all.
  if (!key || !mayVerify(key.project_id)) return { valid: false, code: 'NOT_FOUND', key: null };
  if (key.status === 'DELETED') return { valid: false, code: 'DELETED', key };

  try {
    // The outcome comes from the decided event, so what we answer is what the log records.
    const [used] = await handleKeyCommand(ctx, { type: 'RecordKeyUse', keyId: key.id });
    const outcome = used?.type === 'KeyUsed' ? used.data.outcome : 'INACTIVE';
    return { valid: outcome === 'VALID', code: outcome, key };
  } catch (error) {
    // Deleted between our lookup and the decision: the delete wins.
    if (error instanceof InvalidStateError) return { valid: false, code: 'DELETED', key };
    throw error;
  }
}
