import { NotFoundError } from '../../domain/errors';
import type { GraphQLContext } from '../context';

/** A mutation's payload reads the key back from the projection its transaction just wrote. */
export async function loadKeyOrFail(ctx: GraphQLContext, keyId: string) {
  const key = await ctx.loaders.apiKeyById.load(keyId);
  if (!key) throw new NotFoundError('ApiKey', keyId);
  return key;
}
