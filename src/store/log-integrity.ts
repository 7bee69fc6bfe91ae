import type { Kysely } from 'kysely';
import { firstChainBreak, GENESIS_HASH } from './event-chain';
import type { Database } from './schema';

export interface IntegrityReport {
  ok: boolean;
  /** Events whose links were checked, up to and including the first broken one. */
  checkedEvents: number;
  /**
   * The last event found intact and its chain hash. Record them outside this
   * database: a chain cannot show that events were cut off its end.
   */
  headPosition: number | null;
  headHash: string | null;
  firstBrokenPosition: number | null;
  problem: string | null;
  checkedAt: string;
}

const BATCH_SIZE = 5000;

/**
 * Walks the whole log in position order and recomputes every link of the chain.
 * Reads raw rows (not events) so a row no build understands is still checked.
 */
export async function checkLogIntegrity(db: Kysely<Database>, now = () => new Date()): Promise<IntegrityReport> {
  let previous = GENESIS_HASH;
  let after = 0;
  let checked = 0;
  let headPosition: number | null = null;
  for (;;) {
    const rows = await db.selectFrom('events').selectAll().where('position', '>', after).orderBy('position').limit(BATCH_SIZE).execute();
    if (rows.length === 0) break;
    const result = firstChainBreak(previous, rows);
    if (result.break) {
      const broken = rows.findIndex((row) => Number(row.position) === result.break!.position);
      const lastGood = broken > 0 ? Number(rows[broken - 1]!.position) : headPosition;
      return {
        ok: false,
        checkedEvents: checked + broken + 1,
        headPosition: lastGood,
        headHash: lastGood === null ? null : result.lastHash,
        firstBrokenPosition: result.break.position,
        problem: result.break.problem,
        checkedAt: now().toISOString(),
      };
    }
    checked += rows.length;
    previous = result.lastHash;
    after = headPosition = Number(rows.at(-1)!.position);
  }
  return {
    ok: true,
    checkedEvents: checked,
    headPosition,
    headHash: headPosition === null ? null : previous,
    firstBrokenPosition: null,
    problem: null,
    checkedAt: now().toISOString(),
  };
}
