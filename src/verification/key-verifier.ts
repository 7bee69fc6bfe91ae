import type { StoredEvent } from '../../events/event-envelope';
import type { UsageOutcome } from '../../events/key-events';
import { hasPermission, type Principal } from '../auth/principal';
import { type KeyViewStatus, statusAtMs } from '../domain/key-status';
import { findApiKeyByHash } from '../queries/api-key-queries';
import { hashSecret, parseSecret } from '../secrets/api-key-secret';
import type { Db } from '../store/database';
import { DatabaseUnavailableError } from '../store/database-unavailable';
import { withTimeout } from '../store/with-timeout';
import { type CachedKey, KeyCache } from './key-cache';
import type { UsageRecorder } from './usage-recorder';

export type VerificationCode = 'VALID' | 'NOT_FOUND' | 'MALFORMED' | UsageOutcome;

export interface VerificationResult {
  valid: boolean;
  code: VerificationCode;
  key: CachedKey | null;
}

const MALFORMED: VerificationResult = { valid: false, code: 'MALFORMED', key: null };
const NOT_FOUND: VerificationResult = { valid: false, code: 'NOT_FOUND', key: null };
const OUTCOME_BY_STATUS: Record<KeyViewStatus, UsageOutcome> = { ACTIVE: 'VALID', INACTIVE: 'INACTIVE', EXPIRED: 'EXPIRED', DELETED: 'DELETED' };

/** Which path answered a verification: the HTTP fast path or GraphQL execution (see verify-fast-path.ts). */
export type VerificationPath = 'fast' | 'graphql';

/** What verification reports as it works (metrics): called synchronously, so it must be cheap. */
export interface VerificationObserver {
  /** A verification answered, with how long it took in seconds; UNAVAILABLE when the database failed it. */
  verified(code: VerificationCode | 'UNAVAILABLE', path: VerificationPath, seconds: number): void;
  /** A well-formed secret answered from the cache. */
  cacheHit(): void;
  /** A well-formed secret that needed a database read. */
  cacheMiss(): void;
}

/** Shown a verification's result before it is counted; false: the caller cannot answer it, so nothing is recorded. */
export type AnswerCheck = (result: VerificationResult) => boolean;

/** A decided verification, not yet counted: whether the cache answered, and when it was judged. */
interface Judged {
  result: VerificationResult;
  cache: 'hit' | 'miss' | null;
  at: number;
}

/** A verification that must read waits at most this long for the database, then fails closed. */
const READ_TIMEOUT_MS = 1000;
/** After a failed read, cache misses fail at once for this long: a dead database is not hammered, and callers are answered fast. */
const BACKOFF_MS = 500;

/**
 * The one implementation of "is this secret a usable key?", used by the GraphQL
 * resolver and the HTTP fast path alike, so both answer the same by construction.
 * Malformed input is rejected offline by the checksum; a well-formed secret is
 * looked up by its SHA-256 (cache, then the unique index), never compared in a loop.
 */
export class KeyVerifier {
  readonly cache = new KeyCache();

  constructor(
    private readonly db: Db,
    private readonly usage: UsageRecorder | null,
    private readonly now: () => number = Date.now,
    private readonly observer?: VerificationObserver,
  ) {}

  /**
   * Verifies for a principal: only keys of projects it holds keys:verify on can be VALID; its sub is the actor recorded.
   * `canAnswer`, when given, is shown the result before anything is counted: when it says the caller cannot
   * answer it (the fast path could not write the payload and hands the request to GraphQL), no usage and no
   * metric are recorded, so the path that does answer counts the verification once.
   */
  async verify(secret: string, principal: Principal, path: VerificationPath = 'graphql', canAnswer?: AnswerCheck): Promise<VerificationResult> {
    const started = this.observer ? performance.now() : 0;
    let judged: Judged;
    try {
      judged = await this.judge(secret, principal);
    } catch (error) {
      // Only a cache miss reads, so only a miss fails. The fast path hands every failure to the
      // general path, which answers it: counted there, once.
      if (path === 'graphql') {
        this.observer?.cacheMiss();
        this.observer?.verified('UNAVAILABLE', path, (performance.now() - started) / 1000);
      }
      throw error;
    }
    return this.count(judged, principal, path, started, canAnswer);
  }

  /**
   * The same answer without waiting, when it needs no database read (a malformed
   * secret, or a cached key of the caller's); undefined when verify() must read.
   */
  verifyFromCache(secret: string, principal: Principal, path: VerificationPath = 'fast', canAnswer?: AnswerCheck): VerificationResult | undefined {
    const started = this.observer ? performance.now() : 0;
    const judged = this.judgeFromCache(secret, principal);
    return judged && this.count(judged, principal, path, started, canAnswer);
  }

  /** Records what was decided (usage, metrics), unless the caller cannot answer it. */
  private count(judged: Judged, principal: Principal, path: VerificationPath, started: number, canAnswer: AnswerCheck | undefined): VerificationResult {
    const { result, cache } = judged;
    if (canAnswer && !canAnswer(result)) return result;
    if (result.key && result.code !== 'NOT_FOUND') this.usage?.record(result.key.id, result.key.projectId, principal.subject, result.code as UsageOutcome, judged.at);
    if (this.observer) {
      if (cache === 'hit') this.observer.cacheHit();
      else if (cache === 'miss') this.observer.cacheMiss();
      this.observer.verified(result.code, path, (performance.now() - started) / 1000);
    }
    return result;
  }

  private async judge(secret: string, principal: Principal): Promise<Judged> {
    if (!parseSecret(secret)) return { result: MALFORMED, cache: null, at: 0 };
    const hash = hashSecret(secret);
    const cached = this.cache.get(hash);
    if (cached && this.mayVerify(principal, cached)) return this.decide(cached, principal, 'hit');
    return this.decide(await this.load(hash), principal, 'miss');
  }

  private judgeFromCache(secret: string, principal: Principal): Judged | undefined {
    if (!parseSecret(secret)) return { result: MALFORMED, cache: null, at: 0 };
    const key = this.cache.get(hashSecret(secret));
    return key && this.mayVerify(principal, key) ? this.decide(key, principal, 'hit') : undefined;
  }

  /**
   * A key of a project the caller may not verify for is answered NOT_FOUND, and
   * only after the same database read an unknown secret costs: if the cache
   * answered it, its speed would tell a verify-only token which secrets exist in
   * other projects.
   */
  private mayVerify(principal: Principal, key: CachedKey): boolean {
    return hasPermission(principal, key.projectId, 'keys:verify');
  }

  /** The answer, and the time it was judged at (the usage record's time); nothing is recorded here. */
  private decide(key: CachedKey | null, principal: Principal, cache: Judged['cache']): Judged {
    // A key of a project the caller may not verify for is, to that caller, no key at all.
    if (!key || !hasPermission(principal, key.projectId, 'keys:verify')) return { result: NOT_FOUND, cache, at: 0 };
    const now = this.now();
    // Expiry is a matter of the clock, judged on every verification: a cached key expires on time.
    const outcome = OUTCOME_BY_STATUS[statusAtMs(key.status, key.expiresAtMs, now)];
    return { result: { valid: outcome === 'VALID', code: outcome, key }, cache, at: now };
  }

  /** Called after every commit: a changed key is read afresh on its next verification. */
  readonly afterCommit = (events: StoredEvent[]): void => {
    for (const event of events) this.cache.invalidate(event.data.keyId);
  };

  /** Until then (performance.now() ms), reads are not tried: the last one failed. */
  private backoffUntil = 0;

  /**
   * Reads a key by hash, failing closed: any failure, or no answer within
   * READ_TIMEOUT_MS, is DatabaseUnavailableError (UNAVAILABLE, HTTP 503), never a guess.
   */
  private async load(hash: string): Promise<CachedKey | null> {
    if (performance.now() < this.backoffUntil) throw new DatabaseUnavailableError();
    const epoch = this.cache.beginRead();
    let row: Awaited<ReturnType<typeof findApiKeyByHash>>;
    try {
      row = await withTimeout(findApiKeyByHash(this.db, hash), READ_TIMEOUT_MS);
    } catch (error) {
      this.backoffUntil = performance.now() + BACKOFF_MS;
      throw new DatabaseUnavailableError(undefined, { cause: error });
    }
    if (!row) return null;
    const key: CachedKey = {
      id: row.id,
      projectId: row.project_id,
      name: row.name,
      environment: row.environment,
      status: row.status,
      expiresAtMs: row.expires_at === null ? null : Date.parse(row.expires_at),
    };
    this.cache.fill(hash, key, epoch);
    return key;
  }
}
