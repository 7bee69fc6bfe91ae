import type { Logger } from 'pino';
import { ConflictError } from '../domain/errors';
import type { Db } from '../store/database';
import { closeNextUsageHour } from './close-usage-hour';
import { pruneUsage } from './prune-usage';
import type { UsageRetention } from './usage-books-state';
import { ensureUsagePartitions } from './usage-partitions';
import { DAY_MS } from './usage-periods';

export interface UsageBooksOptions {
  retention: UsageRetention;
  /** How long after an hour ends it is closed: late flushes land in it until then (default 5 minutes). */
  graceMs?: number;
  /** How often the books are looked at (default 60 s). */
  intervalMs?: number;
  now: () => number;
  logger?: Logger;
}

/** The hourly summaries another instance wrote first (PostgreSQL and SQLite unique violations). */
function isDuplicate(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code);
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT');
}

/** Hours closed per run at most: a service catching up after a long stop does it over several runs. */
const MAX_HOURS_PER_RUN = 24;

/**
 * Closing the books, on a timer, in every instance: partitions made ahead
 * (PostgreSQL), hours closed once they are over (close-usage-hour.ts), then
 * retention (prune-usage.ts). Instances that run it at once race harmlessly: the
 * chained log takes one closing per hour. Failures are logged and tried again at
 * the next run; nothing here can take the process down.
 */
export class UsageBooks {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly options: UsageBooksOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
    void this.run();
  }

  /** One pass; runs never overlap. Resolves when done, whatever happened (errors are logged). */
  run(now = this.options.now()): Promise<void> {
    this.running = this.running.then(() => (this.stopped ? undefined : this.pass(now)));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(now: number): Promise<void> {
    try {
      await ensureUsagePartitions(this.db, now - DAY_MS, now + 3 * DAY_MS);
      for (let hours = 0; hours < MAX_HOURS_PER_RUN && !this.stopped; hours++) {
        if (!(await closeNextUsageHour(this.db, now, this.options.graceMs ?? 5 * 60_000))) break;
      }
      const { removed } = await pruneUsage(this.db, now, this.options.retention);
      if (Object.values(removed).some((count) => count > 0)) this.options.logger?.info({ removed }, 'usage retention released old rows');
    } catch (error) {
      // Another instance closed the same hour a moment earlier: its closing stands.
      if (error instanceof ConflictError || isDuplicate(error)) this.options.logger?.debug('another instance closed these usage books first');
      else this.options.logger?.error({ err: error }, 'closing the usage books failed; will try again');
    }
  }
}
