import type { Logger } from 'pino';
import { DomainError } from '../domain/errors';
import type { AuditEventRow } from '../queries/audit-queries';
import type { Db } from '../store/database';

// The live audit feed. One cursor per server tails the audit read model by log
// position and hands each new row to the subscribers of its project. Appends are
// serialized, so positions become visible in order: reading "after the cursor"
// never skips an event and never returns one twice, and every subscriber gets
// each event once, in log order. Reads are triggered by this server's own commits,
// by other instances' commits (NOTIFY on PostgreSQL), and by a slow poll that
// covers a lost notification.

/** Why a live feed refused or ended a subscription; the client sees the code. */
export class FeedError extends DomainError {
  constructor(
    readonly code: 'FEED_OVERRUN' | 'TOO_MANY_SUBSCRIPTIONS',
    message: string,
  ) {
    super(message);
    this.name = 'FeedError';
  }
}

export interface FeedSubscription {
  /** Who subscribes: each may hold a limited number of streams per server. */
  subject: string;
  projectId: string;
  /** Epoch ms at which the stream ends by itself (the token's expiry). */
  endsAt?: number;
}

export interface AuditFeedOptions {
  pollMs?: number;
  /** A subscriber this many events behind is cut off with FEED_OVERRUN (it can catch up with auditLog). */
  maxQueued?: number;
  /** Open streams one subject may hold on this server (default 10). */
  maxPerSubject?: number;
  logger?: Logger;
}

interface Subscriber extends FeedSubscription {
  /** The last position before it started: it is given only events after it. */
  after: number;
  queue: AuditEventRow[];
  wake: { resolve: (result: IteratorResult<AuditEventRow>) => void; reject: (error: FeedError) => void } | null;
  done: boolean;
  /** Why the stream ended, if not normally: given to the consumer after what was queued. */
  error: FeedError | null;
  timer: NodeJS.Timeout | undefined;
}

const BATCH_SIZE = 500;
/**
 * Node's timers hold at most 2^31-1 ms (24.8 days) and fire at once beyond that;
 * a later end is reached by re-arming, one safe stretch at a time.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class AuditFeed {
  private readonly subscribers = new Set<Subscriber>();
  /** The last position read and handed out; null while nobody listens (nothing is read then). */
  private cursor: number | null = null;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly options: AuditFeedOptions = {},
  ) {}

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** New events may exist: read them (coalesced, never two reads at once). */
  readonly poke = (): Promise<void> => {
    // With nobody listening there is nothing to read: commits cost the feed nothing.
    if (this.subscribers.size === 0 || this.closed) return this.pumping ?? Promise.resolve();
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.pumpAgain = false;
          await this.readNew();
        } while (this.pumpAgain);
      } catch (error) {
        this.options.logger?.error({ err: error }, 'audit feed read failed; the next trigger retries');
      } finally {
        this.pumping = null;
      }
    })();
    return this.pumping;
  };

  /**
   * Starts a subscription from now. The iterator's return() ends it at once, even
   * while the consumer waits (yoga calls it when the client disconnects).
   */
  async subscribe(subscription: FeedSubscription): Promise<AsyncIterableIterator<AuditEventRow>> {
    const head = await this.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.max('position').as('position'))
      .executeTakeFirst();
    // Checked after the read, with nothing awaited before registering: two requests at once count.
    const held = [...this.subscribers].filter((subscriber) => subscriber.subject === subscription.subject).length;
    const maxPerSubject = this.options.maxPerSubject ?? 10;
    if (held >= maxPerSubject) {
      throw new FeedError('TOO_MANY_SUBSCRIPTIONS', `At most ${maxPerSubject} live feeds per token subject at a time; close one first`);
    }
    // It starts after the head of the log, or after what the feed has already handed
    // out if that is later: from here on it gets every event once, none from before.
    const after = Math.max(Number(head?.position ?? 0), this.cursor ?? 0);
    this.cursor ??= after;
    const subscriber: Subscriber = { ...subscription, after, queue: [], wake: null, done: this.closed, error: null, timer: undefined };
    if (!subscriber.done) {
      this.subscribers.add(subscriber);
      this.startPolling();
      // Last: a stream already past its end finishes here, and stops the polling if it was the only one.
      if (subscription.endsAt !== undefined) this.armEnd(subscriber, subscription.endsAt);
    }
    const iterator: AsyncIterableIterator<AuditEventRow> = {
      next: () => {
        if (subscriber.queue.length) return Promise.resolve({ value: subscriber.queue.shift()!, done: false });
        if (subscriber.error) return Promise.reject(subscriber.error);
        if (subscriber.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (subscriber.wake = { resolve, reject }));
      },
      return: () => {
        subscriber.queue.length = 0;
        this.finish(subscriber);
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Ends every stream (each client sees a normal completion) and takes no new ones. */
  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    for (const subscriber of [...this.subscribers]) this.finish(subscriber);
  }

  private async readNew(): Promise<void> {
    while (this.cursor !== null && this.subscribers.size > 0) {
      const rows = await this.db.selectFrom('audit_events').selectAll().where('position', '>', this.cursor).orderBy('position').limit(BATCH_SIZE).execute();
      for (const row of rows) this.deliver(row);
      if (rows.length > 0) this.cursor = Number(rows.at(-1)!.position);
      if (rows.length < BATCH_SIZE) return;
      // Far behind (a burst of commits): let other requests in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private deliver(row: AuditEventRow): void {
    const maxQueued = this.options.maxQueued ?? 10_000;
    for (const subscriber of this.subscribers) {
      if (subscriber.projectId !== row.project_id || row.position <= subscriber.after) continue;
      if (subscriber.wake) {
        const wake = subscriber.wake;
        subscriber.wake = null;
        wake.resolve({ value: row, done: false });
      } else if (subscriber.queue.length >= maxQueued) {
        this.options.logger?.warn({ projectId: subscriber.projectId, subject: subscriber.subject }, 'audit feed subscriber fell behind; ending its stream');
        // Named by its time, not its log position: positions would tell of other tenants' activity.
        const missedFrom = row.occurred_at;
        this.finish(
          subscriber,
          new FeedError('FEED_OVERRUN', `This stream fell ${maxQueued} events behind and was ended; read what it missed with auditLog(filter: {from: "${missedFrom}"})`),
        );
      } else {
        subscriber.queue.push(row);
      }
    }
  }

  /** Ends the stream at endsAt: now if that has passed (or is not a time), else after the next stretch. */
  private armEnd(subscriber: Subscriber, endsAt: number): void {
    const remaining = endsAt - Date.now();
    if (!(remaining > 0)) {
      this.finish(subscriber);
      return;
    }
    subscriber.timer = setTimeout(() => this.armEnd(subscriber, endsAt), Math.min(remaining, MAX_TIMER_MS));
    subscriber.timer.unref();
  }

  /** Ends one stream: what is queued is still delivered, then the error if any, else the end. */
  private finish(subscriber: Subscriber, error: FeedError | null = null): void {
    if (subscriber.done) return;
    subscriber.done = true;
    subscriber.error = error;
    clearTimeout(subscriber.timer);
    this.subscribers.delete(subscriber);
    const wake = subscriber.wake;
    subscriber.wake = null;
    if (wake) {
      if (error) wake.reject(error);
      else wake.resolve({ value: undefined, done: true });
    }
    if (this.subscribers.size === 0) {
      clearInterval(this.poll);
      this.poll = undefined;
      this.cursor = null;
    }
  }

  private startPolling(): void {
    if (this.poll || this.closed) return;
    this.poll = setInterval(() => void this.poke(), this.options.pollMs ?? 2000);
    this.poll.unref();
  }
}
