import type { Selectable } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import type { RejectionCode } from '../events/usage-events';
import type { ApiKeysTable } from '../src/store/schema';
import { generatedKeyRow, lifecycleChanges } from './api-keys-projection';

type ApiKeyRow = Selectable<ApiKeysTable>;

/** What a key's KeyUsed events add up to over some stretch of the log. */
export interface UsageTotals {
  count: number;
  lastValidAt: string | null;
  lastRejectedAt: string | null;
  lastRejectedCode: RejectionCode | null;
}

/**
 * A key's read-model row rebuilt in memory: its lifecycle events in log order,
 * through the same row functions as the api_keys table, plus the totals of its
 * usage events over the same stretch of the log (what the table's KeyUsed updates
 * accumulate). With every event, the row the table holds; with the events up to a
 * moment, the row it held then. Null if the key was not generated among them.
 */
export function foldApiKeyRow(lifecycle: readonly StoredEvent[], usage: UsageTotals | null): ApiKeyRow | null {
  let row: ApiKeyRow | null = null;
  for (const event of lifecycle) {
    if (event.type === 'KeyGenerated') row = generatedKeyRow(event);
    else if (row && event.type !== 'KeyUsed') row = { ...row, ...lifecycleChanges(event) } as ApiKeyRow;
  }
  if (!row || !usage) return row;
  return {
    ...row,
    usage_count: usage.count,
    last_used_at: usage.lastValidAt,
    last_rejected_at: usage.lastRejectedAt,
    last_rejected_code: usage.lastRejectedCode,
  };
}
