import { NotFoundError } from '../../domain/errors';
import type { GraphQLContext } from '../context';

/**
 * A mutation's payload reads the key back from the projection its transaction just
 * wrote. The loader may hold the row as it was before the write (authorization read
 * it), so that entry is dropped first.
 */
export async function loadKeyAfterWrite(ctx: GraphQLContext, keyId: string) {
  const key = await ctx.loaders.apiKeyById.clear(keyId).load(keyId);
  if (!key) throw new NotFoundError('ApiKey', keyId);
  return key;
}
