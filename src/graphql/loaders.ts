import DataLoader from 'dataloader';
import { type ApiKeyRow, findApiKeysByIds } from '../queries/api-key-queries';
import { type AsOfUsageSettings, findApiKeysAsOf } from '../queries/api-keys-as-of';
import { type AuditEventRow, latestAuditEventsOfKeys } from '../queries/audit-queries';
import type { SliceRunner } from '../server/heavy-work';
import type { Db } from '../store/database';

export interface HistoryPageKey {
  keyId: string;
  limit: number;
  beforePosition: number | null;
  /** Only events recorded at or before this ISO time (a key seen as of a past moment). */
  until: string | null;
}

/** Created per request: batches what a list fans out to, and never caches across requests. */
/** `slices` runs the folds of time travel (rotation links of keys seen asOf) through the server's heavy-work queue. */
export function createLoaders(db: Db, slices?: SliceRunner, usage: AsOfUsageSettings = { windowMs: 60_000 }) {
  return {
    apiKeyById: new DataLoader<string, ApiKeyRow | null>(async (ids) => {
      const byId = new Map((await findApiKeysByIds(db, ids)).map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),

    /** Keys as they were at a moment (links of a key seen asOf), one fold per moment asked. */
    apiKeyAsOf: new DataLoader<{ keyId: string; asOf: Date }, ApiKeyRow | null, string>(
      async (requests) => {
        const byMoment = new Map<number, string[]>();
        for (const { keyId, asOf } of requests) byMoment.set(asOf.getTime(), [...(byMoment.get(asOf.getTime()) ?? []), keyId]);
        const found = new Map<string, ApiKeyRow>();
        for (const [moment, keyIds] of byMoment) {
          for (const [keyId, row] of await findApiKeysAsOf(db, keyIds, new Date(moment), slices, usage)) found.set(`${keyId}|${moment}`, row);
        }
        return requests.map(({ keyId, asOf }) => found.get(`${keyId}|${asOf.getTime()}`) ?? null);
      },
      { cacheKeyFn: ({ keyId, asOf }) => `${keyId}|${asOf.getTime()}` },
    ),

    auditHistory: new DataLoader<HistoryPageKey, AuditEventRow[], string>(
      async (pages) => {
        // Keys asking for the same page shape share one windowed query.
        const groups = new Map<string, HistoryPageKey[]>();
        for (const page of pages) {
          const shape = `${page.limit}|${page.beforePosition}|${page.until}`;
          groups.set(shape, [...(groups.get(shape) ?? []), page]);
        }
        const rowsByPage = new Map<HistoryPageKey, AuditEventRow[]>();
        for (const group of groups.values()) {
          const { limit, beforePosition, until } = group[0]!;
          const rows = await latestAuditEventsOfKeys(
            db,
            group.map((page) => page.keyId),
            { limit, beforePosition, until },
          );
          for (const page of group)
            rowsByPage.set(
              page,
              rows.filter((row) => row.key_id === page.keyId),
            );
        }
        return pages.map((page) => rowsByPage.get(page) ?? []);
      },
      { cacheKeyFn: (page) => `${page.keyId}|${page.limit}|${page.beforePosition}|${page.until}` },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
