import { findApiKeysAsOf } from '../queries/api-keys-as-of';
import { parseAsOf } from './as-of';
import { builder } from './builder';
import { parseGlobalId } from './global-id';
import { loadVisibleKeyOrFail, permissionOnKey } from './key-access';
import { ApiKeyRef } from './types/api-key';
import { loadProject, ProjectRef } from './types/project';
import { ViewerRef } from './types/viewer';

builder.queryFields((t) => ({
  viewer: t.field({
    type: ViewerRef,
    description: 'The caller: its subject, when its token expires, and the projects it may use (for a project switcher). Any valid token may ask; it needs no permission.',
    resolve: (_root, _args, ctx) => ctx.principal,
  }),
  project: t.field({
    type: ProjectRef,
    description: 'A project by the platform’s own id. A project with no keys is simply empty.',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, args) => loadProject(args.id),
  }),
  apiKey: t.field({
    type: ApiKeyRef,
    nullable: true,
    description:
      'A key by its global id, deleted keys included (with status DELETED). With asOf: the key as it was at that moment, rebuilt from the event log; null if it did not exist yet.',
    args: { id: t.arg.id({ required: true }), asOf: t.arg({ type: 'DateTime' }) },
    authScopes: permissionOnKey('keys:read', (args) => args.id),
    resolve: async (_root, args, ctx) => {
      const asOf = parseAsOf(args.asOf, ctx.now());
      const key = await loadVisibleKeyOrFail(ctx, parseGlobalId(String(args.id), 'ApiKey'));
      if (!asOf) return key;
      return (await findApiKeysAsOf(ctx.db, [key.id], asOf, ctx.heavyWork.forRequest(ctx.signal), { windowMs: ctx.usage.windowMs })).get(key.id) ?? null;
    },
  }),
}));
