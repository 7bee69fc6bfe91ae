import type { Kysely } from 'kysely';
import { type SliceRunner, unlimitedSlices } from '../server/heavy-work';
import { firstChainBreak, GENESIS_HASH } from './event-chain';
import type { Database } from './schema';

export interface IntegrityReport {
  ok: boolean;
  /** True when the walk started at the log's first event; false when it went on from a checkpoint. */
  full: boolean;
  /** The position of the already-verified event the walk went on from; 0 for a full walk. */
  fromPosition: number;
  /** Events whose links were checked in this walk, up to and including the first broken one. */
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

/** A verified link: the walk can go on from here without reading what came before. */
export interface Checkpoint {
  position: number;
  hash: string;
}

/**
 * Rows per slice. Reading and hashing 1,000 rows takes a few milliseconds, so no
 * slice holds the event loop (better-sqlite3 is synchronous) for long.
 */
export const SLICE_ROWS = 1000;

export interface CheckOptions {
  /** Go on from this verified link instead of the log's first event. */
  from?: Checkpoint | null;
  now?: () => Date;
  /** Runs each slice (a server passes its heavy-work limiter); by default directly, with a loop turn after each. */
  slices?: SliceRunner;
}

/**
 * Walks the log in position order from `from` (or its first event) and recomputes
 * every link of the chain, one slice of rows at a time. Reads raw rows (not
 * events) so a row no build understands is still checked. Going on from a
 * checkpoint does not re-read the events before it: an event altered after it was
 * verified is found only by a full walk.
 */
export async function checkLogIntegrity(db: Kysely<Database>, options: CheckOptions = {}): Promise<IntegrityReport> {
  const { from = null, now = () => new Date(), slices = unlimitedSlices } = options;
  const base = { full: from === null, fromPosition: from?.position ?? 0 };
  if (from) {
    // One row, not a re-check: the event the checkpoint names must still be there with
    // the hash that was verified, or the log was cut or rewritten beneath it.
    const anchor = await slices(() => db.selectFrom('events').select('chain_hash').where('position', '=', from.position).executeTakeFirst());
    if (anchor?.chain_hash !== from.hash) {
      return {
        ...base,
        ok: false,
        checkedEvents: 0,
        headPosition: null,
        headHash: null,
        firstBrokenPosition: from.position,
        problem: 'The last verified event is missing or its chain hash changed since it was verified: the log was cut or rewritten',
        checkedAt: now().toISOString(),
      };
    }
  }
  let previous = from?.hash ?? GENESIS_HASH;
  let after = from?.position ?? 0;
  let headPosition: number | null = from?.position ?? null;
  let checked = 0;
  for (;;) {
    const slice = await slices(async () => {
      const rows = await db.selectFrom('events').selectAll().where('position', '>', after).orderBy('position').limit(SLICE_ROWS).execute();
      return { rows, result: firstChainBreak(previous, rows) };
    });
    const { rows, result } = slice;
    if (rows.length === 0) break;
    if (result.break) {
      const broken = rows.findIndex((row) => Number(row.position) === result.break!.position);
      const lastGood = broken > 0 ? Number(rows[broken - 1]!.position) : headPosition;
      return {
        ...base,
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
    ...base,
    ok: true,
    checkedEvents: checked,
    headPosition,
    headHash: headPosition === null ? null : previous,
    firstBrokenPosition: null,
    problem: null,
    checkedAt: now().toISOString(),
  };
}

/**
 * A server's integrity checks. After a walk that finds the chain intact it keeps
 * the head as a checkpoint (in memory), so the next check reads only the events
 * appended since: a loop of checks costs what the log grew by, not its size. A
 * full check walks from the first event again. Concurrent callers of the same kind
 * share one walk.
 */
export class IntegrityChecker {
  private checkpoint: Checkpoint | null = null;
  private readonly running: { full: Promise<IntegrityReport> | null; incremental: Promise<IntegrityReport> | null } = { full: null, incremental: null };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { now?: () => Date; slices?: SliceRunner } = {},
  ) {}

  check(full = false): Promise<IntegrityReport> {
    const kind = full ? 'full' : 'incremental';
    return (this.running[kind] ??= this.walk(full).finally(() => (this.running[kind] = null)));
  }

  private async walk(full: boolean): Promise<IntegrityReport> {
    const report = await checkLogIntegrity(this.db, { ...this.options, from: full ? null : this.checkpoint });
    if (report.ok) {
      // Only ever forward: a slower walk finishing after a newer checkpoint must not move it back.
      if (report.headPosition !== null && report.headHash !== null && report.headPosition >= (this.checkpoint?.position ?? 0)) {
        this.checkpoint = { position: report.headPosition, hash: report.headHash };
      }
    } else if (full) {
      // A full walk found a break: later incremental checks start from the first event
      // again, so they report it too instead of vouching for a broken prefix.
      this.checkpoint = null;
    }
    return report;
  }
}
