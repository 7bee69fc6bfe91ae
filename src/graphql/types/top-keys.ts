import { type FieldIssue, ValidationError } from '../../domain/errors';
import { type RankedKey, topKeys } from '../../usage/usage-queries';
import { builder } from '../builder';
import { encodeGlobalID } from '../global-id';
import { ApiKeyRef, readableKey } from './api-key';
import { ProjectRef } from './project';
import { rangeOf, requestBooks, USAGE_RETENTION_RULE, USAGE_SOURCES, UsageCountsRef } from './usage-counts';

// Project.topKeys: which of a project's keys were verified most over a range.

const DEFAULT_FIRST = 10;
const MAX_FIRST = 100;

interface UsageRanking {
  from: number;
  to: number;
  keys: RankedKey[];
}

const RankedKeyUsageRef = builder.objectRef<RankedKey>('RankedKeyUsage').implement({
  interfaces: [UsageCountsRef],
  description: 'One key’s verifications over the range of a ranking. total = valid + rejected; rejected is the sum of byCode.',
  fields: (t) => ({
    keyId: t.id({ description: 'The key’s global id, even when apiKey is null.', resolve: (entry) => encodeGlobalID('ApiKey', entry.keyId) }),
    apiKey: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: 'The key as it is now (deleted keys included, with status DELETED); null if it no longer exists or may not be read.',
      resolve: async (entry, _args, ctx) => readableKey(ctx, await ctx.loaders.apiKeyById.load(entry.keyId)),
    }),
  }),
});

const UsageRankingRef = builder.objectRef<UsageRanking>('UsageRanking').implement({
  description: `A project's keys ranked by verifications over a range. ${USAGE_SOURCES}`,
  fields: (t) => ({
    from: t.field({
      type: 'DateTime',
      description: 'Where the counted range starts: the from asked for, rounded down to the finest resolution kept for it (minute, else hour, else day; UTC).',
      resolve: (ranking) => new Date(ranking.from),
    }),
    to: t.field({
      type: 'DateTime',
      description: 'Where the counted range ends (exclusive): the to asked for, rounded up to the finest resolution kept for it.',
      resolve: (ranking) => new Date(ranking.to),
    }),
    keys: t.field({
      type: [RankedKeyUsageRef],
      description: 'The keys with at least one verification in the range, most verifications first (ties in a stable order), at most `first`.',
      resolve: (ranking) => ranking.keys,
    }),
  }),
});

builder.objectField(ProjectRef, 'topKeys', (t) =>
  t.field({
    type: UsageRankingRef,
    errors: { types: [ValidationError], union: { name: 'ProjectTopKeysResult' } },
    authScopes: (project) => ({ permission: { projectId: project.projectId, permission: 'keys:read' } }),
    description:
      `The project's most verified keys over [from, to), accepted and refused verifications both counting. ${USAGE_SOURCES} ` +
      'Any range may be asked for: each end is rounded to the finest resolution retention kept for it (windows, else hourly, else daily summaries), and the answer’s from and to say where it counted. ' +
      `${USAGE_RETENTION_RULE} from must be before to; first is 1-${MAX_FIRST}. Needs keys:read on the project.`,
    args: {
      from: t.arg({ type: 'DateTime', required: true, description: 'Start of the range.' }),
      to: t.arg({ type: 'DateTime', required: true, description: 'End of the range (exclusive).' }),
      first: t.arg.int({ defaultValue: DEFAULT_FIRST, description: `How many keys, 1-${MAX_FIRST}.` }),
    },
    resolve: async (project, args, ctx) => {
      const first = args.first ?? DEFAULT_FIRST;
      const issues: FieldIssue[] = Number.isInteger(first) && first >= 1 && first <= MAX_FIRST ? [] : [{ path: 'first', message: `must be between 1 and ${MAX_FIRST}` }];
      const range = rangeOf(args, issues);
      const books = await requestBooks(ctx);
      // Each ranked key's apiKey goes through the request's loader: one query for them all.
      return topKeys(ctx.db, project.projectId, range.from, range.to, first, books.kept, books.closedThrough, ctx.heavyWork.forRequest(ctx.signal));
    },
  }),
);
