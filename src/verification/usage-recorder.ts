import type { Logger } from 'pino';
import type { UsageOutcome } from '../../events/key-events';
import type { UsageWindow } from '../../events/usage-events';
import { type BufferedUsage, UsageBuffer } from '../domain/usage-buffer';
import type { Db } from '../store/database';
import { commitUsage } from '../usage/commit-usage';

export interface UsageRecorderOptions {
  /** The usage window (USAGE_WINDOW_SECONDS × 1000): everything buffered is written at each of its ends. */
  windowMs: number;
  /** This server's name in the records it writes (INSTANCE_ID). */
  instance: string;
  /** The clock windows are cut by (the server's monotonic clock). */
  now: () => number;
  /** Most tallies held in memory (default 100,000); see UsageBuffer. */
  maxTallies?: number;
  /** How long after a quiet key's first use its usage is written (default 200 ms), gathering others meanwhile. */
  quietFlushDelayMs?: number;
  logger?: Logger;
  /** Told of the records a flush committed, after the commit. */
  afterCommit?: (windows: readonly UsageWindow[]) => void;
  /** Told when a flush fails (its tallies are kept for the next one). */
  onError?: (error: unknown) => void;
  /** Told of every write's duration and whether it failed (metrics). */
  observer?: UsageRecorderObserver;
}

export interface UsageRecorderObserver {
  written(seconds: number, failed: boolean): void;
}

/**
 * Group commit for usage: a verification adds to an in-memory tally (UsageBuffer)
 * and never waits on the disk. Everything buffered is written at every window
 * boundary, so a key in constant use is written once per window; the first use of
 * a key after a quiet spell is written within quietFlushDelayMs, so lastUsedAt
 * shows a key coming back at once. A crash loses at most one window of usage,
 * never a lifecycle event.
 */
export class UsageRecorder {
  private readonly buffer: UsageBuffer;
  private readonly quietFlushDelayMs: number;
  private boundaryTimer: NodeJS.Timeout | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private quietKeys = new Set<string>();
  /** The write running or last run; each waits for the one before, so writes never overlap. */
  private flushing: Promise<void> = Promise.resolve();
  private waiting: QueuedWrite | null = null;
  private compactionsLogged = 0;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly options: UsageRecorderOptions,
  ) {
    this.buffer = new UsageBuffer({ windowMs: options.windowMs, maxTallies: options.maxTallies });
    this.quietFlushDelayMs = options.quietFlushDelayMs ?? 200;
  }

  /** Tallies held in memory now, waiting to be written. */
  get bufferedTallies(): number {
    return this.buffer.size;
  }

  /** Starts writing at window boundaries. */
  start(): void {
    this.stopped = false;
    this.armBoundaryTimer();
  }

  record(keyId: string, projectId: string, principal: string, outcome: UsageOutcome, at: number): void {
    if (!this.buffer.add(keyId, projectId, principal, outcome, at)) return;
    this.quietKeys.add(keyId);
    // One timer for every quiet key that turns up before it fires: a burst of them is one write.
    if (this.quietTimer || this.stopped) return;
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      const keys = this.quietKeys;
      this.quietKeys = new Set();
      void this.enqueue(keys);
    }, this.quietFlushDelayMs);
    this.quietTimer.unref();
  }

  /** Writes everything buffered so far; resolves once written, or once the failure is handled (the uses kept). */
  flush(): Promise<void> {
    return this.enqueue(null);
  }

  /** Stops the timers and writes what is buffered. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.boundaryTimer);
    clearTimeout(this.quietTimer);
    this.boundaryTimer = this.quietTimer = undefined;
    await this.flush();
  }

  /**
   * A chain of timeouts, each aimed at the next boundary of the `now` clock, rather
   * than an interval: an interval drifts off the boundaries and a window would be
   * written in two parts.
   */
  private armBoundaryTimer(): void {
    if (this.stopped) return;
    const now = this.options.now();
    const delay = this.options.windowMs - (now % this.options.windowMs);
    this.boundaryTimer = setTimeout(() => {
      this.armBoundaryTimer();
      void this.flush();
    }, delay);
    this.boundaryTimer.unref();
  }

  /**
   * Queues a write of the given keys' tallies (null: all). At most one write waits
   * behind the running one, and later requests join it: while the database hangs,
   * quiet keys turning up every few hundred milliseconds must not pile up writes.
   * The waiting write takes the tallies when its turn comes, so it includes
   * everything recorded until then.
   */
  private enqueue(keys: Set<string> | null): Promise<void> {
    const waiting = this.waiting;
    if (waiting) {
      if (keys === null) waiting.keys = null;
      else if (waiting.keys) for (const keyId of keys) waiting.keys.add(keyId);
      return waiting.done;
    }
    const next: QueuedWrite = { keys, done: Promise.resolve() };
    next.done = this.flushing
      .then(() => {
        this.waiting = null;
        return this.write(next.keys === null ? this.buffer.take() : this.buffer.take({ keys: next.keys }));
      })
      // write() handles a failed commit itself; this is the backstop that keeps any other error out of timers and callers.
      .catch((error: unknown) => {
        try {
          this.options.logger?.error({ err: error }, 'usage flush failed unexpectedly');
        } catch {
          // Nothing left to tell: the chain must stay resolved whatever happens.
        }
      });
    this.waiting = next;
    this.flushing = next.done;
    return next.done;
  }

  private async write(taken: BufferedUsage[]): Promise<void> {
    if (taken.length > 0) {
      const instance = this.options.instance;
      const windows: UsageWindow[] = taken.map((tally) => ({ ...tally, instance }));
      let committed = false;
      const started = performance.now();
      try {
        await commitUsage(this.db, windows, this.options.now());
        committed = true;
      } catch (error) {
        // Kept for the next flush, merged with whatever is counted meanwhile.
        this.buffer.putBack(taken);
        this.options.logger?.error({ err: error, keys: countKeys(taken) }, 'usage write failed; will retry');
        this.options.onError?.(error);
      }
      this.options.observer?.written((performance.now() - started) / 1000, !committed);
      if (committed) this.options.afterCommit?.(windows);
    }
    this.logPressure();
  }

  private logPressure(): void {
    const compactions = this.buffer.compactions - this.compactionsLogged;
    if (compactions > 0) {
      this.compactionsLogged = this.buffer.compactions;
      this.options.logger?.warn(
        { compactions, tallies: this.buffer.size, maxTallies: this.buffer.maxTallies },
        "usage buffer full: merged each key's tallies into one (counts kept; principals and windows merged)",
      );
    }
    const dropped = this.buffer.takeDropped();
    if (dropped > 0) {
      this.options.logger?.error({ dropped, maxTallies: this.buffer.maxTallies }, 'usage buffer full: verifications were answered but not recorded');
    }
  }
}

interface QueuedWrite {
  /** The keys to write, or null for everything buffered. */
  keys: Set<string> | null;
  done: Promise<void>;
}

function countKeys(windows: readonly BufferedUsage[]): number {
  const keys = new Set<string>();
  for (const window of windows) keys.add(window.keyId);
  return keys.size;
}
