import { canSeeProject, type Permission } from '../auth/principal';
import { NotFoundError } from '../domain/errors';
import type { ApiKeyRow } from '../queries/api-key-queries';
import type { GraphQLContext } from './context';
import { parseGlobalId } from './global-id';

/**
 * A key the principal may know exists: one of a project they hold a management
 * permission on. Anything else, existing or not, is null, so answers are the same
 * for a foreign key and a missing one and ids cannot be probed.
 */
export async function findVisibleKey(ctx: GraphQLContext, keyId: string): Promise<ApiKeyRow | null> {
  const key = await ctx.loaders.apiKeyById.load(keyId);
  return key && canSeeProject(ctx.principal, key.project_id) ? key : null;
}

export async function loadVisibleKeyOrFail(ctx: GraphQLContext, keyId: string): Promise<ApiKeyRow> {
  const key = await findVisibleKey(ctx, keyId);
  if (!key) throw new NotFoundError('ApiKey', keyId);
  return key;
}

/**
 * authScopes for a field acting on one key named by a global id: the permission is
 * required on the key's own project. Malformed ids, unknown and invisible keys pass
 * on to the resolver, which answers them as Validation or NotFound errors.
 */
// biome-ignore lint/suspicious/noExplicitAny: each field passes its own argument type; the id is validated where it is read
export function permissionOnKey(permission: Permission, globalIdOf: (args: any) => unknown) {
  return async (_parent: unknown, args: unknown, ctx: GraphQLContext) => {
    let keyId: string;
    try {
      keyId = parseGlobalId(String(globalIdOf(args)), 'ApiKey');
    } catch {
      return true;
    }
    const key = await findVisibleKey(ctx, keyId);
    return key ? { permission: { projectId: key.project_id, permission } } : true;
  };
}
