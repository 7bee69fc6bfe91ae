import { ValidationError } from '../../domain/errors';
import type { Granularity } from '../../usage/usage-periods';
import { MAX_SERIES_POINTS, seriesRange, type UsagePoint, type UsageScope, type UsageSeries, usageSeries } from '../../usage/usage-queries';
import { builder } from '../builder';
import type { GraphQLContext } from '../context';
import { ApiKeyRef } from './api-key';
import { ProjectRef } from './project';
import { granularityIssues, rangeOf, requestBooks, USAGE_RETENTION_RULE, USAGE_SOURCES, UsageCountsRef, UsageGranularityEnum } from './usage-counts';

// ApiKey.usage and Project.usage: verifications per minute, hour or day over a
// range, as a dense series a chart can draw as it is.

const UsagePointRef = builder.objectRef<UsagePoint>('UsagePoint').implement({
  interfaces: [UsageCountsRef],
  description: 'Verifications in one period of a usage series. total = valid + rejected; rejected is the sum of byCode.',
  fields: (t) => ({
    start: t.field({ type: 'DateTime', description: 'The start of the period (UTC); it lasts one granularity.', resolve: (point) => new Date(point.start) }),
  }),
});

const UsageSeriesRef = builder.objectRef<UsageSeries>('UsageSeries').implement({
  description: `Verifications per period over a range. ${USAGE_SOURCES}`,
  fields: (t) => ({
    granularity: t.field({ type: UsageGranularityEnum, description: 'The length of each point.', resolve: (series) => series.granularity }),
    from: t.field({
      type: 'DateTime',
      description: 'The start of the first point: the from asked for, rounded down to the granularity (UTC).',
      resolve: (series) => new Date(series.from),
    }),
    to: t.field({
      type: 'DateTime',
      description: 'The end of the last point: the to asked for, rounded up to the granularity (UTC).',
      resolve: (series) => new Date(series.to),
    }),
    points: t.field({
      type: [UsagePointRef],
      description: 'One point per period from `from` to `to`, oldest first, periods without verifications included (as zeros).',
      resolve: (series) => series.points,
    }),
  }),
});

const USAGE_ARGS_DESCRIPTION =
  `Ranges: from is rounded down and to up to the granularity; from must be before to; at most ${MAX_SERIES_POINTS} points. ` +
  'A granularity finer than what retention kept for the start of the range is a ValidationError on granularity. ' +
  `${USAGE_RETENTION_RULE} Needs keys:read on the project.`;

/** Validates the arguments, then reads the series. */
async function seriesOf(ctx: GraphQLContext, scope: UsageScope, args: { from: Date; to: Date; granularity: Granularity }): Promise<UsageSeries> {
  const asked = rangeOf(args, granularityIssues(args.granularity, ctx.usage.windowMs));
  const books = await requestBooks(ctx);
  const range = seriesRange(asked.from, asked.to, args.granularity, books.kept);
  return usageSeries(ctx.db, scope, range, args.granularity, books.closedThrough);
}

builder.objectField(ApiKeyRef, 'usage', (t) =>
  t.field({
    type: UsageSeriesRef,
    errors: { types: [ValidationError], union: { name: 'ApiKeyUsageResult' } },
    authScopes: (key) => ({ permission: { projectId: key.project_id, permission: 'keys:read' } }),
    description:
      `This key's verifications per minute, hour or day (UTC) over [from, to), accepted and refused by code. ${USAGE_SOURCES} ` +
      `On a key seen asOf a moment, the range asked for all the same (usage is not cut at asOf). ${USAGE_ARGS_DESCRIPTION}`,
    args: {
      from: t.arg({ type: 'DateTime', required: true, description: 'Start of the range; rounded down to the granularity.' }),
      to: t.arg({ type: 'DateTime', required: true, description: 'End of the range (exclusive); rounded up to the granularity.' }),
      granularity: t.arg({ type: UsageGranularityEnum, required: true, description: 'The length of each point.' }),
    },
    resolve: (key, args, ctx) => seriesOf(ctx, { keyId: key.id }, args),
  }),
);

builder.objectField(ProjectRef, 'usage', (t) =>
  t.field({
    type: UsageSeriesRef,
    errors: { types: [ValidationError], union: { name: 'ProjectUsageResult' } },
    authScopes: (project) => ({ permission: { projectId: project.projectId, permission: 'keys:read' } }),
    description:
      `Verifications of all the project's keys (deleted ones included) per minute, hour or day (UTC) over [from, to), accepted and refused by code: ` +
      `each point is the sum of the keys' points. ${USAGE_SOURCES} ${USAGE_ARGS_DESCRIPTION}`,
    args: {
      from: t.arg({ type: 'DateTime', required: true, description: 'Start of the range; rounded down to the granularity.' }),
      to: t.arg({ type: 'DateTime', required: true, description: 'End of the range (exclusive); rounded up to the granularity.' }),
      granularity: t.arg({ type: UsageGranularityEnum, required: true, description: 'The length of each point.' }),
    },
    resolve: (project, args, ctx) => seriesOf(ctx, { projectId: project.projectId }, args),
  }),
);
