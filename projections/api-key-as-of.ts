import type { Selectable } from 'kysely';
import type { StoredEvent } from '../events/event-envelope';
import type { ApiKeysTable } from '../src/store/schema';
import { generatedKeyRow, lifecycleChanges, withUsage } from './api-keys-projection';

type ApiKeyRow = Selectable<ApiKeysTable>;

/**
 * A key's read-model row rebuilt in memory from its lifecycle and usage events, in
 * log order: with every event, the row the api_keys table holds; with the events up
 * to a moment, the row it held then. Null if the key was not generated among them.
 */
export function foldApiKeyRow(events: readonly StoredEvent[]): ApiKeyRow | null {
  let row: ApiKeyRow | null = null;
  for (const event of events) {
    if (event.type === 'KeyGenerated') row = generatedKeyRow(event);
    else if (!row) continue;
    else if (event.type === 'KeyUsed') row = withUsage(row, event.data);
    else row = { ...row, ...lifecycleChanges(event) } as ApiKeyRow;
  }
  return row;
}
