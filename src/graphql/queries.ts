import { NotFoundError } from '../domain/errors';
import { builder } from './builder';
import { parseGlobalId } from './global-id';
import { ApiKeyRef } from './types/api-key';
import { loadProject, ProjectRef } from './types/project';

builder.queryFields((t) => ({
  project: t.field({
    type: ProjectRef,
    description: 'A project by the platform’s own id. A project with no keys is simply empty.',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, args) => loadProject(args.id),
  }),
  apiKey: t.field({
    type: ApiKeyRef,
    nullable: true,
    description: 'A key by its global id, deleted keys included (with status DELETED).',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const key = await ctx.loaders.apiKeyById.load(parseGlobalId(String(args.id), 'ApiKey'));
      if (!key) throw new NotFoundError('ApiKey', String(args.id));
      return key;
    },
  }),
}));
