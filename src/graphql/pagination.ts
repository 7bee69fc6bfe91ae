import { ValidationError } from '../domain/errors';
import type { OpaqueIds } from './opaque-ids';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  limit: number;
  beforePosition: number | null;
}

/** The lists that page by log position; a cursor of one is refused by the other. */
export type CursorKind = 'ApiKey' | 'AuditEvent';

/**
 * Validates first/after. A cursor carries a log position, encrypted (see opaque-ids.ts)
 * so that it shows nothing of other tenants' activity; one that does not decrypt to a
 * position of this kind of list is a VALIDATION error.
 */
export function parsePage(ids: OpaqueIds, kind: CursorKind, args: { first?: number | null; after?: string | null }): PageRequest {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new ValidationError([{ path: 'first', message: `first must be between 1 and ${MAX_PAGE_SIZE}` }]);
  }
  return { limit: first, beforePosition: args.after == null ? null : decodeCursor(ids, kind, args.after) };
}

export function encodeCursor(ids: OpaqueIds, kind: CursorKind, position: number): string {
  return ids.encode(`${kind} cursor`, position);
}

function decodeCursor(ids: OpaqueIds, kind: CursorKind, cursor: string): number {
  const position = ids.decode(`${kind} cursor`, cursor);
  if (position === null) throw new ValidationError([{ path: 'after', message: 'after is not a cursor of this list' }]);
  return position;
}

/** Builds a Relay connection from a page fetched with one row more than asked for. */
export function toConnection<T>(ids: OpaqueIds, kind: CursorKind, rows: T[], page: PageRequest, positionOf: (row: T) => number) {
  const nodes = rows.slice(0, page.limit);
  const edges = nodes.map((node) => ({ node, cursor: encodeCursor(ids, kind, positionOf(node)) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.limit,
      hasPreviousPage: page.beforePosition !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** The row count to fetch so hasNextPage can be told without a count query. */
export function fetchSize(page: PageRequest): number {
  return page.limit + 1;
}
