import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { UsageOutcome } from '../../events/key-events';
import { usageStreamId } from '../../events/streams';
import { addUse, mergeTally, newTally, usageEvent, type UsageTally } from '../domain/usage-tally';
import type { Db } from '../store/database';
import { commitEvents } from '../store/commit-events';
import { appendAtStreamEnds } from '../store/event-store';
import type { StoredEvent } from '../../events/event-envelope';

export interface UsageRecorderOptions {
  /** How often buffered usage is written (USAGE_FLUSH_MS). */
  flushMs: number;
  now?: () => number;
  /** Write sooner once this many keys have uses waiting. */
  maxBufferedKeys?: number;
  /**
   * Hard cap on tallies held in memory (default 100,000). While the database is
   * unavailable flushes fail and tallies are kept for the next one; past the cap,
   * uses that would need a new tally are counted as dropped and logged, never held.
   */
  maxTallies?: number;
  logger?: Logger;
  /** Told of the events a flush committed, after the commit. */
  afterCommit?: (events: StoredEvent[]) => void;
  /** Told when a flush fails (its tallies are kept for the next one). */
  onError?: (error: unknown) => void;
}

/**
 * Group commit for usage: verifications add to an in-memory tally per key and
 * actor; every window the tallies are written as one KeyUsed event each, all in
 * one transaction. A verification never waits on the disk. A crash loses at most
 * the window in memory, never a lifecycle event.
 */
export class UsageRecorder {
  /** Tallies by key, then by actor: no string is built per verification. */
  private buffer = new Map<string, Map<string, UsageTally>>();
  private bufferedKeys = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly maxBufferedKeys: number;
  private readonly maxTallies: number;
  /** Uses not recorded because the buffer was full, since the last report. */
  private dropped = 0;

  constructor(private readonly db: Db, private readonly options: UsageRecorderOptions) {
    this.maxBufferedKeys = options.maxBufferedKeys ?? 10_000;
    this.maxTallies = options.maxTallies ?? 100_000;
  }


  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  record(keyId: string, projectId: string, actor: string, outcome: UsageOutcome, at: number): void {
    let byActor = this.buffer.get(keyId);
    if (!byActor) this.buffer.set(keyId, (byActor = new Map()));
    let tally = byActor.get(actor);
    if (!tally) {
      if (this.bufferedKeys >= this.maxTallies) {
        this.dropped++;
        if (byActor.size === 0) this.buffer.delete(keyId);
        return;
      }
      byActor.set(actor, (tally = newTally(keyId, projectId, actor, at)));
      if (++this.bufferedKeys >= this.maxBufferedKeys) void this.flush();
    }
    addUse(tally, outcome, at);
  }

  /** Writes everything buffered so far; flushes run one after another, never overlapping. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBuffered());
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async writeBuffered(): Promise<void> {
    if (this.dropped > 0) {
      this.options.logger?.error({ dropped: this.dropped, maxTallies: this.maxTallies }, 'usage buffer full: verifications were answered but not recorded');
      this.dropped = 0;
    }
    if (this.buffer.size === 0) return;
    const tallies = [...this.buffer.values()].flatMap((byActor) => [...byActor.values()]);
    this.buffer = new Map();
    this.bufferedKeys = 0;
    const flushId = `usage-flush-${randomUUID()}`;
    const recordedAt = new Date((this.options.now ?? Date.now)()).toISOString();
    try {
      // Appended after whatever each usage stream holds: never a lifecycle stream version.
      const entries = tallies.map((tally) => ({
        streamId: usageStreamId(tally.keyId),
        event: usageEvent(tally),
        metadata: { actor: tally.actor, requestId: flushId, causationId: flushId, correlationId: flushId, clientAddress: null, userAgent: null },
      }));
      await commitEvents(this.db, (trx) => appendAtStreamEnds(trx, entries, recordedAt), this.options.afterCommit);
    } catch (error) {
      // Put the uses back so the next window retries them, merged with newer ones.
      for (const tally of tallies) this.merge(tally);
      this.options.logger?.error({ err: error, keys: tallies.length }, 'usage flush failed; will retry');
      this.options.onError?.(error);
    }
  }

  private merge(tally: UsageTally): void {
    let byActor = this.buffer.get(tally.keyId);
    if (!byActor) this.buffer.set(tally.keyId, (byActor = new Map()));
    const current = byActor.get(tally.actor);
    if (current) mergeTally(current, tally);
    else if (this.bufferedKeys >= this.maxTallies) {
      this.dropped += tally.count;
      if (byActor.size === 0) this.buffer.delete(tally.keyId);
    } else {
      byActor.set(tally.actor, tally);
      this.bufferedKeys++;
    }
  }
}
