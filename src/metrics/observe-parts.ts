import type { ServiceParts } from '../server/service-parts';
import { poolOf } from '../store/database';
import type { PoolState, ServerMetrics } from './server-metrics';

/** Points the state gauges at this server's parts; they are read at each scrape. */
export function observeServiceParts(metrics: ServerMetrics, parts: ServiceParts): void {
  const { db, verificationReads, verifier, usage, feed, heavyWork } = parts;
  // pg.Pool's counts are live getters.
  const pools: Record<string, PoolState> = {};
  const mainPool = poolOf(db);
  const verificationPool = verificationReads === db ? null : poolOf(verificationReads);
  if (mainPool) pools.main = mainPool;
  if (verificationPool) pools.verification = verificationPool;
  metrics.observe({
    cacheEntries: () => verifier.cache.size,
    cacheTrusted: () => verifier.cache.trusted,
    usageBufferedTallies: () => usage?.bufferedTallies ?? 0,
    feedSubscribers: () => feed.subscriberCount,
    heavyWorkQueued: () => heavyWork.queued,
    pools: () => pools,
  });
}
