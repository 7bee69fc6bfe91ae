import type { Logger } from 'pino';
import type { AuditEventRow } from '../queries/audit-queries';
import type { Db } from '../store/database';

// The live audit feed. One cursor per server tails the audit read model by log
// position and hands each new row to the subscribers of its project. Appends are
// serialized, so positions become visible in order: reading "after the cursor"
// never skips an event and never returns one twice, and every subscriber gets
// each event once, in log order. Reads are triggered by this server's own commits,
// by other instances' commits (NOTIFY on PostgreSQL), and by a slow poll that
// covers a lost notification.

export interface FeedSubscription {
  projectId: string;
  includeUsage: boolean;
  /** Epoch ms at which the stream ends by itself (the token's expiry). */
  endsAt?: number;
}

export interface AuditFeedOptions {
  pollMs?: number;
  /** A subscriber this many events behind is cut off (it can catch up with auditLog). */
  maxQueued?: number;
  logger?: Logger;
}

interface Subscriber extends FeedSubscription {
  queue: AuditEventRow[];
  wake: ((result: IteratorResult<AuditEventRow>) => void) | null;
  done: boolean;
  timer: NodeJS.Timeout | undefined;
}

const BATCH_SIZE = 500;

export class AuditFeed {
  private readonly subscribers = new Set<Subscriber>();
  /** The last position handed out; null until first read. */
  private cursor: number | null = null;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly db: Db, private readonly options: AuditFeedOptions = {}) {}

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** New events may exist: read them (coalesced, never two reads at once). */
  readonly poke = (): Promise<void> => {
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
   * Starts a subscription from now: every event committed after the cursor is
   * brought up to date. The iterator's return() ends it at once, even while the
   * consumer waits (yoga calls it when the client disconnects).
   */
  async subscribe(subscription: FeedSubscription): Promise<AsyncIterableIterator<AuditEventRow>> {
    await this.poke();
    const subscriber: Subscriber = { ...subscription, queue: [], wake: null, done: this.closed, timer: undefined };
    if (!subscriber.done) {
      this.subscribers.add(subscriber);
      if (subscription.endsAt !== undefined) {
        subscriber.timer = setTimeout(() => this.finish(subscriber, false), Math.max(0, subscription.endsAt - Date.now()));
        subscriber.timer.unref();
      }
      this.startPolling();
    }
    const iterator: AsyncIterableIterator<AuditEventRow> = {
      next: () => {
        if (subscriber.queue.length) return Promise.resolve({ value: subscriber.queue.shift()!, done: false });
        if (subscriber.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (subscriber.wake = resolve));
      },
      return: () => {
        this.finish(subscriber, true);
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
    for (const subscriber of [...this.subscribers]) this.finish(subscriber, false);
  }

  private async readNew(): Promise<void> {
    if (this.cursor === null || this.subscribers.size === 0) {
      // Nobody to deliver to: only move the cursor to the head of the log.
      const head = await this.db.selectFrom('audit_events').select((eb) => eb.fn.max('position').as('position')).executeTakeFirst();
      this.cursor = Number(head?.position ?? 0);
      return;
    }
    for (;;) {
      const rows = await this.db.selectFrom('audit_events').selectAll().where('position', '>', this.cursor).orderBy('position').limit(BATCH_SIZE).execute();
      for (const row of rows) this.deliver(row);
      if (rows.length > 0) this.cursor = Number(rows.at(-1)!.position);
      if (rows.length < BATCH_SIZE) return;
    }
  }

  private deliver(row: AuditEventRow): void {
    const maxQueued = this.options.maxQueued ?? 10_000;
    for (const subscriber of this.subscribers) {
      if (subscriber.projectId !== row.project_id || (row.category === 'usage' && !subscriber.includeUsage)) continue;
      if (subscriber.wake) {
        const wake = subscriber.wake;
        subscriber.wake = null;
        wake({ value: row, done: false });
      } else if (subscriber.queue.length >= maxQueued) {
        this.options.logger?.warn({ projectId: subscriber.projectId }, 'audit feed subscriber fell behind; ending its stream');
        this.finish(subscriber, false);
      } else {
        subscriber.queue.push(row);
      }
    }
  }

  /** Ends one stream; what is queued is still delivered unless the consumer left (drop). */
  private finish(subscriber: Subscriber, drop: boolean): void {
    subscriber.done = true;
    clearTimeout(subscriber.timer);
    if (drop) subscriber.queue.length = 0;
    this.subscribers.delete(subscriber);
    const wake = subscriber.wake;
    subscriber.wake = null;
    wake?.({ value: undefined, done: true });
    if (this.subscribers.size === 0) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  private startPolling(): void {
    if (this.poll || this.closed) return;
    this.poll = setInterval(() => void this.poke(), this.options.pollMs ?? 2000);
    this.poll.unref();
  }
}
