import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { VerificationCode, VerificationObserver, VerificationPath } from '../verification/key-verifier';
import type { UsageRecorderObserver } from '../verification/usage-recorder';

// The service's metrics, in a registry of its own per server: tests (and any
// embedding process) run several servers in one process, and each must count only
// its own requests. The parts report through small observer interfaces; nothing
// here is global except the process metrics below.

/** What an HTTP request is filed under: the known routes, everything else as "other" (no unbounded label values). */
export type Route = '/graphql' | '/health' | '/ready' | '/metrics' | 'other';

/** The GraphQL operation type, or "none" (not GraphQL, or a document that never got as far as executing). */
export type OperationLabel = 'query' | 'mutation' | 'subscription' | 'none';

/** Live state the gauges read when scraped (collect callbacks): nothing is sampled in between. */
export interface ObservedState {
  cacheEntries(): number;
  /** Whether cached keys may answer (always on SQLite; on PostgreSQL while change notifications are confirmed). */
  cacheTrusted(): boolean;
  usageBufferedTallies(): number;
  feedSubscribers(): number;
  heavyWorkQueued(): number;
  /** PostgreSQL connection pools by name (main, verification); empty on SQLite. */
  pools(): Record<string, PoolState>;
}

export interface PoolState {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

const VERIFICATION_CODES: (VerificationCode | 'UNAVAILABLE')[] = ['VALID', 'INACTIVE', 'EXPIRED', 'DELETED', 'NOT_FOUND', 'MALFORMED', 'UNAVAILABLE'];
const PATHS: VerificationPath[] = ['fast', 'graphql'];

/** Verifications take microseconds from the cache and up to the 1 s read timeout from the database. */
const VERIFICATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FLUSH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ServerMetrics {
  readonly registry = new Registry();

  private readonly verifications = new Counter({
    name: 'apikeys_verifications_total',
    help: 'Key verifications answered, by result code and by the path that answered (fast: HTTP fast path; graphql: GraphQL execution).',
    labelNames: ['code', 'path'] as const,
    registers: [this.registry],
  });

  private readonly verificationDuration = new Histogram({
    name: 'apikeys_verification_duration_seconds',
    help: 'Time to decide a verification (cache lookup or database read), by path; excludes HTTP and GraphQL overhead.',
    labelNames: ['path'] as const,
    buckets: VERIFICATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly requestDuration = new Histogram({
    name: 'apikeys_http_request_duration_seconds',
    help: 'HTTP requests from arrival to the end of the response (or the client going away), by route, GraphQL operation type and status.',
    labelNames: ['route', 'operation', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  private readonly cacheHits = new Counter({
    name: 'apikeys_key_cache_hits_total',
    help: 'Verifications of a well-formed secret answered from the key cache.',
    registers: [this.registry],
  });

  private readonly cacheMisses = new Counter({
    name: 'apikeys_key_cache_misses_total',
    help: 'Verifications of a well-formed secret that read the database (unknown key, first use, or cache not trusted).',
    registers: [this.registry],
  });

  private readonly usageFlushDuration = new Histogram({
    name: 'apikeys_usage_flush_duration_seconds',
    help: 'Writes of buffered usage to the database, successful or not.',
    buckets: FLUSH_BUCKETS,
    registers: [this.registry],
  });

  private readonly usageFlushFailures = new Counter({
    name: 'apikeys_usage_flush_failures_total',
    help: 'Usage writes that failed; their tallies stay buffered for the next write.',
    registers: [this.registry],
  });

  /** Pre-bound children: the hot path does no label lookup by name. */
  private readonly verifiedBy = new Map<string, { inc(): void }>();
  private readonly durationBy = new Map<VerificationPath, { observe(value: number): void }>();

  constructor() {
    for (const path of PATHS) {
      for (const code of VERIFICATION_CODES) {
        const child = this.verifications.labels(code, path);
        // Zero from the start: a rate() over a series that appears late misses its first increase.
        child.inc(0);
        this.verifiedBy.set(`${code} ${path}`, child);
      }
      this.durationBy.set(path, this.verificationDuration.labels(path));
    }
    this.cacheHits.inc(0);
    this.cacheMisses.inc(0);
    this.usageFlushFailures.inc(0);
  }

  readonly verification: VerificationObserver = {
    verified: (code, path, seconds) => {
      this.verifiedBy.get(`${code} ${path}`)?.inc();
      this.durationBy.get(path)?.observe(seconds);
    },
    cacheHit: () => this.cacheHits.inc(),
    cacheMiss: () => this.cacheMisses.inc(),
  };

  readonly usage: UsageRecorderObserver = {
    written: (seconds, failed) => {
      this.usageFlushDuration.observe(seconds);
      if (failed) this.usageFlushFailures.inc();
    },
  };

  /** One HTTP request done; status null when no answer was started (the client went away first). */
  requestFinished(route: Route, operation: OperationLabel, status: number | null, seconds: number): void {
    // Every request passes here: the labelled child is looked up once per combination (a few dozen
    // at most: fixed routes, operation types and statuses), not hashed from its labels each time.
    const key = `${route} ${operation} ${status}`;
    let child = this.requestDurationBy.get(key);
    if (!child) {
      child = this.requestDuration.labels({ route, operation, status: status === null ? 'none' : String(status) });
      this.requestDurationBy.set(key, child);
    }
    child.observe(seconds);
  }

  private readonly requestDurationBy = new Map<string, { observe(value: number): void }>();

  /** Registers the gauges that read live state when scraped; called once the parts exist. */
  observe(state: ObservedState): void {
    const registers = [this.registry];
    new Gauge({
      name: 'apikeys_key_cache_entries',
      help: 'Keys held in the verification cache.',
      registers,
      collect() {
        this.set(state.cacheEntries());
      },
    });
    new Gauge({
      name: 'apikeys_key_cache_trusted',
      help: '1 while cached keys may answer; 0 while change notifications are not confirmed (PostgreSQL) and every verification reads the database.',
      registers,
      collect() {
        this.set(state.cacheTrusted() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'apikeys_usage_buffered_tallies',
      help: 'Usage tallies held in memory waiting to be written (bounded by USAGE_MAX_TALLIES).',
      registers,
      collect() {
        this.set(state.usageBufferedTallies());
      },
    });
    new Gauge({
      name: 'apikeys_feed_subscribers',
      help: 'Live audit feed streams open on this server.',
      registers,
      collect() {
        this.set(state.feedSubscribers());
      },
    });
    new Gauge({
      name: 'apikeys_heavy_work_queued',
      help: 'Slices of history reads (time travel, integrity checks) waiting for their turn; requests are refused BUSY beyond 20.',
      registers,
      collect() {
        this.set(state.heavyWorkQueued());
      },
    });
    const poolGauge = (name: string, help: string, read: (pool: PoolState) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool'] as const,
        registers,
        collect() {
          for (const [pool, counts] of Object.entries(state.pools())) this.set({ pool }, read(counts));
        },
      });
    poolGauge('apikeys_db_pool_connections', 'PostgreSQL: connections open in the pool (main or verification).', (pool) => pool.totalCount);
    poolGauge('apikeys_db_pool_idle_connections', 'PostgreSQL: open connections not in use.', (pool) => pool.idleCount);
    poolGauge(
      'apikeys_db_pool_waiting_requests',
      'PostgreSQL: queries waiting for a connection; above 0 for long means the pool is too small or the database slow.',
      (pool) => pool.waitingCount,
    );
  }

  /** The text exposition: this server's metrics, then the process's. */
  async exposition(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processRegistry().metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

let processMetrics: Registry | null = null;

/**
 * Node's own metrics (event-loop lag, heap, GC, CPU, file descriptors) describe
 * the process, whichever server asks, so they are collected once per process:
 * each collectDefaultMetrics call starts an event-loop monitor and a GC observer
 * that are never stopped, so one per server start would pile up.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}
