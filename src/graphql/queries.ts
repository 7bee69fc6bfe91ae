import { builder } from './builder';
import { parseGlobalId } from './global-id';
import { loadVisibleKeyOrFail, permissionOnKey } from './key-access';
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
    authScopes: permissionOnKey('keys:read', (args) => args.id),
    resolve: (_root, args, ctx) => loadVisibleKeyOrFail(ctx, parseGlobalId(String(args.id), 'ApiKey')),
  }),
}));
