import type { StoredEvent } from '../../events/event-envelope';
import type { Principal } from '../auth/principal';
import type { CommandContext } from '../commands/command-context';
import type { AuditFeed } from '../feed/audit-feed';
import type { ClientInfo } from '../server/client-info';
import type { HeavyWork } from '../server/heavy-work';
import type { Db } from '../store/database';
import type { IntegrityReport } from '../store/log-integrity';
import type { UsageRetention } from '../usage/usage-books-state';
import type { KeyVerifier } from '../verification/key-verifier';
import { createLoaders, type Loaders } from './loaders';
import type { OpaqueIds } from './opaque-ids';

export interface GraphQLContext {
  db: Db;
  verifier: KeyVerifier;
  feed: AuditFeed;
  /** Told of every committed event: keeps the key cache exact and wakes the live feed. */
  afterCommit: (events: StoredEvent[]) => void;
  loaders: Loaders;
  /** Who is acting, from the verified bearer token. */
  principal: Principal;
  client: ClientInfo;
  requestId: string;
  now: () => Date;
  /** Checks the log's hash chain, incrementally unless full; concurrent callers share one check. */
  checkIntegrity: (options: { full: boolean }) => Promise<IntegrityReport>;
  /** The server's limiter for reads that fold or walk the log (time travel): see heavy-work.ts. */
  heavyWork: HeavyWork;
  /** Aborted when the client goes away before its answer is sent (heavy work stops then). */
  signal?: AbortSignal;
  /** Encrypts log positions into audit event ids and cursors, with this database's secret. */
  ids: OpaqueIds;
  /** How usage is recorded and kept: what usage series may ask for. */
  usage: UsageSettings;
}

export interface UsageSettings {
  retention: UsageRetention;
  /** The usage window's length (USAGE_WINDOW_SECONDS), in ms. */
  windowMs: number;
}

export function createGraphQLContext(deps: Omit<GraphQLContext, 'loaders'>): GraphQLContext {
  return { ...deps, loaders: createLoaders(deps.db, deps.heavyWork.sliceFor(deps.signal), { windowMs: deps.usage.windowMs }) };
}

/** Event metadata for commands issued by this request. */
export function commandContext(ctx: GraphQLContext): CommandContext {
  return {
    db: ctx.db,
    now: ctx.now,
    metadata: {
      actor: ctx.principal.subject,
      requestId: ctx.requestId,
      causationId: ctx.requestId,
      correlationId: ctx.requestId,
      clientAddress: ctx.client.address,
      userAgent: ctx.client.userAgent,
    },
    afterCommit: ctx.afterCommit,
  };
}
