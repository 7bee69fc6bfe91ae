import { REJECTION_CODES, type RejectionCode, type UsageCounts } from '../../../events/usage-events';
import { type FieldIssue, ValidationError } from '../../domain/errors';
import { keptFrom, readBooksState } from '../../usage/usage-books-state';
import { GRANULARITIES, type Granularity, MINUTE_MS } from '../../usage/usage-periods';
import { builder } from '../builder';
import type { GraphQLContext } from '../context';

// What the usage analytics fields (usage-series.ts, top-keys.ts) share: their
// enums, counts by rejection code, the request's view of the books, and the
// checks every range goes through.

/** Where the descriptions say what a count is made of. */
export const USAGE_SOURCES =
  'Counted from the usage log, never the audit log: records of USAGE_WINDOW_SECONDS (default 60 s) per key, gateway and instance; hourly summaries for closed hours; daily summaries for complete, closed days. ' +
  'Verifications still buffered in memory (at most one window) are not counted yet.';

export const USAGE_RETENTION_RULE =
  'Retention: window records are kept USAGE_RETENTION_MINUTE_DAYS (default 2) days, hourly summaries USAGE_RETENTION_HOUR_DAYS (default 90) days, daily summaries for good.';

const GRANULARITY_DESCRIPTIONS: Record<Granularity, string> = {
  MINUTE: 'One point per UTC minute, from the window records; only for periods within minute retention, and only when windows are at most a minute long.',
  HOUR: 'One point per UTC hour; only for periods within hour retention.',
  DAY: 'One point per UTC day; always available.',
};

export const UsageGranularityEnum = builder.enumType('UsageGranularity', {
  description: 'The length of each point of a usage series (UTC periods).',
  values: Object.fromEntries(GRANULARITIES.map((granularity) => [granularity, { description: GRANULARITY_DESCRIPTIONS[granularity] }])) as Record<
    Granularity,
    { description: string }
  >,
});

const REJECTION_DESCRIPTIONS: Record<RejectionCode, string> = {
  INACTIVE: 'Refused: the key was deactivated.',
  EXPIRED: 'Refused: the key had expired (or its grace period after a roll had ended).',
  DELETED: 'Refused: the key was deleted.',
};

export const UsageRejectionCodeEnum = builder.enumType('UsageRejectionCode', {
  description: 'Why a verification that presented an existing key was refused.',
  values: Object.fromEntries(REJECTION_CODES.map((code) => [code, { description: REJECTION_DESCRIPTIONS[code] }])) as Record<RejectionCode, { description: string }>,
});

export interface CodeCount {
  code: RejectionCode;
  count: number;
}

export const UsageCodeCountRef = builder.objectRef<CodeCount>('UsageCodeCount').implement({
  description: 'Refused verifications with one rejection code.',
  fields: (t) => ({
    code: t.field({ type: UsageRejectionCodeEnum, description: 'The rejection code.', resolve: (entry) => entry.code }),
    count: t.exposeInt('count', { description: 'Verifications refused with this code.' }),
  }),
});

const COUNT_OF: Record<RejectionCode, keyof UsageCounts> = { INACTIVE: 'inactive', EXPIRED: 'expired', DELETED: 'deleted' };

/** Every rejection code, in a fixed order, zeros included: a chart needs the same series every time. */
/** The counts a series point and a ranked key share. */
export const UsageCountsRef = builder.interfaceRef<UsageCounts>('UsageCounts').implement({
  description: 'Verifications of existing keys, accepted or refused. total = valid + rejected; rejected is the sum of byCode.',
  fields: (t) => ({
    total: t.exposeInt('total', { description: 'Verifications counted, accepted or refused.' }),
    valid: t.exposeInt('valid', { description: 'Of those, accepted (code VALID).' }),
    rejected: t.int({ description: 'Of those, refused: the key was inactive, expired or deleted.', resolve: rejected }),
    byCode: t.field({
      type: [UsageCodeCountRef],
      description: 'Refused verifications by code: every code, in the order INACTIVE, EXPIRED, DELETED, zeros included.',
      resolve: byCode,
    }),
  }),
});

export function byCode(counts: UsageCounts): CodeCount[] {
  return REJECTION_CODES.map((code) => ({ code, count: counts[COUNT_OF[code]] }));
}

export function rejected(counts: UsageCounts): number {
  return counts.inactive + counts.expired + counts.deleted;
}

/** The books as this request sees them: read once, whatever number of usage fields it asks for. */
export interface RequestBooks {
  closedThrough: number | null;
  /** From when each granularity can be asked for (epoch ms). */
  kept: Record<Granularity, number>;
}

const booksOfRequest = new WeakMap<GraphQLContext, Promise<RequestBooks>>();

export function requestBooks(ctx: GraphQLContext): Promise<RequestBooks> {
  let books = booksOfRequest.get(ctx);
  if (!books) {
    const now = ctx.now().getTime();
    books = readBooksState(ctx.db).then((state) => ({ closedThrough: state.closedThrough, kept: keptFrom(state, ctx.usage.retention, now) }));
    // A failed read is not kept: the error goes to the fields that asked, and a later field may try again.
    books.catch(() => booksOfRequest.delete(ctx));
    booksOfRequest.set(ctx, books);
  }
  return books;
}

/** A range's ends as epoch ms, or a ValidationError on the first end at fault (DateTime already rejects malformed text). */
export function rangeOf(args: { from: Date; to: Date }, extra: FieldIssue[] = []): { from: number; to: number } {
  const from = args.from.getTime();
  const to = args.to.getTime();
  const issues: FieldIssue[] = [];
  if (!Number.isFinite(from)) issues.push({ path: 'from', message: 'must be a valid date and time' });
  if (!Number.isFinite(to)) issues.push({ path: 'to', message: 'must be a valid date and time' });
  if (issues.length === 0 && !(from < to)) issues.push({ path: 'to', message: 'must be later than from' });
  issues.push(...extra);
  if (issues.length > 0) throw new ValidationError(issues);
  return { from, to };
}

/** MINUTE points from windows longer than a minute would put a window's uses all in its first minute. */
export function granularityIssues(granularity: Granularity, windowMs: number): FieldIssue[] {
  if (granularity !== 'MINUTE' || windowMs <= MINUTE_MS) return [];
  return [{ path: 'granularity', message: `usage is recorded in windows of ${windowMs / 1000} seconds, too long for MINUTE points; ask for HOUR or DAY` }];
}
