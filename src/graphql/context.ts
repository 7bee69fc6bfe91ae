import type { CommandContext } from '../commands/command-context';
import type { Db } from '../store/database';
import { createLoaders, type Loaders } from './loaders';

/** Who is acting. Until authentication exists every request acts as the development default. */
export interface Principal {
  subject: string;
}

export interface GraphQLContext {
  db: Db;
  loaders: Loaders;
  principal: Principal;
  requestId: string;
  now: () => Date;
}

export function createGraphQLContext(deps: { db: Db; now: () => Date; principal: Principal; requestId: string }): GraphQLContext {
  return { ...deps, loaders: createLoaders(deps.db) };
}

/** Event metadata for commands issued by this request. */
export function commandContext(ctx: GraphQLContext): CommandContext {
  return {
    db: ctx.db,
    now: ctx.now,
    metadata: {
      actor: ctx.principal.subject,
      requestId: ctx.requestId,
      causationId: ctx.requestId,
      correlationId: ctx.requestId,
    },
  };
}
