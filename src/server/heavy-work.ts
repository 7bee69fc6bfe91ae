import { GraphQLError } from 'graphql';
import { DomainError } from '../domain/errors';

// Reads that rebuild state from the log (time travel) or walk it (integrity
// checks) run as many short slices. Without a limiter, one tenant firing many of
// them at once would have every one of their slices queued on the event loop
// ahead of other tenants' requests; with it, at most `concurrency` slices run at
// a time, in arrival order, and after each slice the loop turns (I/O callbacks,
// verifications) before the next one starts.

/** Runs one slice of heavy work: a few statements, tens of milliseconds at most. */
export type SliceRunner = <T>(work: () => Promise<T>) => Promise<T>;

/** Runs a slice directly, then lets the event loop turn before the caller goes on. */
export const unlimitedSlices: SliceRunner = async (work) => {
  try {
    return await work();
  } finally {
    await yieldToLoop();
  }
};

/**
 * An explicit turn of the event loop. A chain of already-resolved promises
 * (better-sqlite3 answers synchronously) never lets I/O in; setImmediate does.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const BUSY_RETRY_AFTER_SECONDS = 1;

/** Too much heavy work is waiting: the caller should retry in a moment (HTTP 503, Retry-After). */
export function busyError(): GraphQLError {
  return new GraphQLError('The server is busy with other history queries; retry in a moment', {
    extensions: { code: 'BUSY', http: { status: 503, headers: { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) } } },
  });
}

/**
 * The request's client went away: its remaining slices are not run. A typed error
 * (nobody is left to read it), so it is not logged as a failure.
 */
export class RequestAbandonedError extends DomainError {
  readonly code = 'CANCELLED';
  constructor() {
    super('The client went away; the rest of this request was not run');
    this.name = 'RequestAbandonedError';
  }
}

export interface HeavyWorkOptions {
  /** Slices running at once (default 1). */
  concurrency?: number;
  /** Requests refused with BUSY when more slices than this are waiting (default 20). */
  maxWaiting?: number;
}

/** A FIFO of slices with a small concurrency; one per server. */
export class HeavyWork {
  private readonly concurrency: number;
  private readonly maxWaiting: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: HeavyWorkOptions = {}) {
    this.concurrency = options.concurrency ?? 1;
    this.maxWaiting = options.maxWaiting ?? 20;
  }

  /** Slices waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Called once when a request starts heavy work: refuses it (BUSY) when the queue
   * is already long. Its later slices are never refused, so no request fails half-way.
   */
  admit(): void {
    if (this.waiting.length >= this.maxWaiting) throw busyError();
  }

  /** Runs `work` when a slot is free (in arrival order), then lets the loop turn. */
  readonly slice: SliceRunner = async (work) => {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // The slot passes to the next slice only after a loop turn, so requests that
      // are not heavy (verifications) get in between any two slices.
      await yieldToLoop();
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  };

  /**
   * The slice runner for one request: once its client has gone (`signal` aborted),
   * its remaining slices are skipped, so abandoned work does not keep taking turns.
   */
  sliceFor(signal?: AbortSignal): SliceRunner {
    if (!signal) return this.slice;
    return (work) =>
      this.slice(() => {
        if (signal.aborted) throw new RequestAbandonedError();
        return work();
      });
  }

  /** admit(), then the slice runner for this request's slices. */
  forRequest(signal?: AbortSignal): SliceRunner {
    this.admit();
    return this.sliceFor(signal);
  }
}
