import { ValidationError } from '../domain/errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;


export interface PageRequest {
  limit: number;
  beforePosition: number | null;
}

/** Validates first/after; cursors carry a log position and the connection they belong to. */
export function parsePage(kind: string, args: { first?: number | null; after?: string | null }): PageRequest {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new ValidationError([{ path: 'first', message: `first must be between 1 and ${MAX_PAGE_SIZE}` }]);
  }
  return { limit: first, beforePosition: args.after ? decodeCursor(kind, args.after) : null };
}

export function encodeCursor(kind: string, position: number): string {
  return Buffer.from(`${kind}:${position}`).toString('base64url');
}

function decodeCursor(kind: string, cursor: string): number {
  const [cursorKind, position] = Buffer.from(cursor, 'base64url').toString().split(':');
  const value = Number(position);
  if (cursorKind !== kind || !Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError([{ path: 'after', message: 'after is not a cursor of this list' }]);
  }
  return value;
}

/** Builds a Relay connection from a page fetched with one row more than asked for. */
export function toConnection<T>(kind: string, rows: T[], page: PageRequest, positionOf: (row: T) => number) {
  const nodes = rows.slice(0, page.limit);
  const edges = nodes.map((node) => ({ node, cursor: encodeCursor(kind, positionOf(node)) }));
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
