import type { Logger } from 'pino';
import type { StoredEvent } from '../../events/event-envelope';
import { INSTANCE_ID_PATTERN, randomInstanceId } from '../config/load-config';
import { createMonotonicClock } from '../domain/monotonic-clock';
import { AuditFeed } from '../feed/audit-feed';
import type { UsageSettings } from '../graphql/context';
import { createOpaqueIds, loadOpaqueIdSecret, type OpaqueIds } from '../graphql/opaque-ids';
import { ChangeListener } from '../store/change-notifications';
import { type Db, isPostgresUrl, openVerificationReader } from '../store/database';
import { logHeadRecordedAt } from '../store/event-store';
import { IntegrityChecker, type IntegrityReport } from '../store/log-integrity';
import { latestUsageAt } from '../usage/latest-usage';
import { UsageBooks } from '../usage/usage-books';
import { DEFAULT_USAGE_RETENTION } from '../usage/usage-books-state';
import { KeyVerifier, type VerificationObserver } from '../verification/key-verifier';
import { UsageRecorder, type UsageRecorderObserver } from '../verification/usage-recorder';
import type { ServerOptions } from './create-server';
import { HeavyWork } from './heavy-work';
import { DatabaseHealth } from './readiness';

/** What the service is made of, below HTTP and GraphQL: one set per server. */
export interface ServiceParts {
  db: Db;
  /** Verification's own handle (its own pool on PostgreSQL); `db` itself for an in-memory SQLite database. */
  verificationReads: Db;
  verifier: KeyVerifier;
  usage: UsageRecorder | null;
  usageSettings: UsageSettings;
  books: UsageBooks;
  feed: AuditFeed;
  /** PostgreSQL only: other instances' changes. */
  listener: ChangeListener | null;
  databaseHealth: DatabaseHealth;
  heavyWork: HeavyWork;
  ids: OpaqueIds;
  /** The server's clock: never goes back (see monotonic-clock.ts). */
  now: () => Date;
  /** Told of every committed event of this server. */
  afterCommit: (events: StoredEvent[]) => void;
  checkIntegrity: (options: { full: boolean }) => Promise<IntegrityReport>;
  /** Stops what runs in the background and closes the database handles; the feed is closed by the listener's shutdown. */
  close(): Promise<void>;
}

/** Hooks the parts report through (metrics); each optional. */
export interface ServiceObservers {
  verification?: VerificationObserver;
  usage?: UsageRecorderObserver;
}

/**
 * Builds the parts on an open database. Each part that needs closing is pushed on
 * `opened` as soon as it exists, so a failure half-way lets startServer close
 * exactly what was opened.
 */
export async function wireServiceParts(
  options: ServerOptions,
  logger: Logger,
  db: Db,
  opened: (() => Promise<unknown> | unknown)[],
  observers: ServiceObservers = {},
): Promise<ServiceParts> {
  // Audit ids and cursors are encrypted with the database's own secret, the same on every instance.
  const ids = createOpaqueIds(await loadOpaqueIdSecret(db));
  // Expiry is judged, and events stamped, by a clock that never goes back, not even
  // across a restart: a key that expired must not verify again if the wall clock steps back.
  const clock = createMonotonicClock(options.now ? () => options.now!().getTime() : Date.now);
  clock.observe(await logHeadRecordedAt(db).catch(() => -Infinity));
  clock.observe(await latestUsageAt(db).catch(() => -Infinity));
  const now = () => new Date(clock());
  const databaseHealth = new DatabaseHealth();
  const feed = new AuditFeed(db, { logger, pollMs: options.feedPollMs });
  opened.push(() => feed.close());
  // Usage has a log of its own: no cached key depends on it and the audit feed does not carry it, so a
  // committed write only tells the health check that the database answers.
  const instance = options.instanceId ?? randomInstanceId();
  if (!INSTANCE_ID_PATTERN.test(instance)) throw new Error('instanceId must be 1-64 letters, digits, dots, dashes or underscores');
  const windowSeconds = options.usageWindowSeconds ?? 60;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || 3600 % windowSeconds !== 0)
    throw new Error('usageWindowSeconds must be a whole number of seconds that divides an hour');
  const usageSettings: UsageSettings = { retention: options.usageRetention ?? DEFAULT_USAGE_RETENTION, windowMs: windowSeconds * 1000 };
  const usage =
    options.usageRecording === false
      ? null
      : new UsageRecorder(db, {
          windowMs: windowSeconds * 1000,
          instance,
          now: clock,
          maxTallies: options.usageMaxTallies,
          logger,
          afterCommit: () => databaseHealth.succeeded(),
          onError: (error) => databaseHealth.failed(error),
          observer: observers.usage,
        });
  usage?.start();
  opened.push(() => usage?.stop());
  const books = new UsageBooks(db, { retention: usageSettings.retention, now: clock, logger });
  books.start();
  opened.push(() => books.stop());
  const verificationReads = await openVerificationReader(options.databaseUrl, db, {
    onQuery: options.onQuery,
    onConnectionError: (error) => logger.warn({ err: error }, 'a pooled verification connection failed; it is replaced on next use'),
  });
  if (verificationReads !== db) opened.push(() => verificationReads.destroy());
  const verifier = new KeyVerifier(verificationReads, usage, clock, observers.verification);
  // Every command of this server: the key cache learns of changed keys, the live feed of new events.
  const afterCommit = (events: StoredEvent[]) => {
    databaseHealth.succeeded();
    verifier.afterCommit(events);
    void feed.poke();
  };
  // Other instances' changes reach this cache and feed through LISTEN/NOTIFY. The
  // cache answers only while the channel has confirmed, within the last
  // changeStalenessMs, that it delivered everything committed before; otherwise
  // verification reads the database. So no key is accepted longer than that after
  // its deactivation commits anywhere, even if a notification is lost.
  const stalenessMs = options.changeStalenessMs ?? 1000;
  const listener = isPostgresUrl(options.databaseUrl)
    ? new ChangeListener(
        options.databaseUrl,
        {
          keyChanged: (keyId) => verifier.cache.invalidate(keyId),
          logAppended: (recordedAt) => {
            if (recordedAt !== null) clock.observe(recordedAt);
            void feed.poke();
          },
          disconnected: () => verifier.cache.distrust(),
          connected: () => void feed.poke(),
          confirmed: (sentAt) => verifier.cache.confirm(sentAt, stalenessMs),
        },
        logger,
        { heartbeatMs: Math.max(10, Math.floor(stalenessMs / 4)), silentMs: Math.max(3 * stalenessMs, 2000) },
      )
    : null;
  if (listener) {
    verifier.cache.distrust();
    opened.push(() => listener.stop());
    await listener.start();
  }
  // Reads that fold or walk the log run in short slices through one small queue, so
  // one tenant looping them cannot starve verifications or other tenants (heavy-work.ts).
  const heavyWork = new HeavyWork({ concurrency: 1, maxWaiting: 20 });
  const integrity = new IntegrityChecker(db, { now, slices: heavyWork.slice });
  const checkIntegrity = ({ full }: { full: boolean }) => {
    heavyWork.admit();
    return integrity.check(full);
  };

  return {
    db,
    verificationReads,
    verifier,
    usage,
    usageSettings,
    books,
    feed,
    listener,
    databaseHealth,
    heavyWork,
    ids,
    now,
    afterCommit,
    checkIntegrity,
    async close() {
      // Buffered usage is written before the database closes.
      await usage?.stop();
      await books.stop();
      await listener?.stop();
      if (verificationReads !== db) await verificationReads.destroy();
      await db.destroy();
    },
  };
}
