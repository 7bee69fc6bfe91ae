import { NotFoundError } from '../../domain/errors';
import type { ApiKeyRow } from '../../queries/api-key-queries';
import type { GraphQLContext } from '../context';
import { readableKey } from '../types/api-key';

/**
 * A mutation's payload reads the key back from the projection its transaction just
 * wrote. The loader may hold the row as it was before the write (authorization read
 * it), so that entry is dropped first. keys:write does not imply keys:read: a caller
 * without keys:read on the key's project gets null, so a write-only token cannot read
 * names, usage or history through the answers to its own changes.
 */
export async function loadKeyAfterWrite(ctx: GraphQLContext, keyId: string): Promise<ApiKeyRow | null> {
  const key = await ctx.loaders.apiKeyById.clear(keyId).load(keyId);
  if (!key) throw new NotFoundError('ApiKey', keyId);
  return readableKey(ctx, key);
}

export const KEY_DETAILS_DESCRIPTION = 'Null unless the caller holds keys:read on the key’s project (keys:write alone does not show it).';
