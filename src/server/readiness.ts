import type { ServerResponse } from 'node:http';
import { sql } from 'kysely';
import type { Db } from '../store/database';
import { pendingMigrations } from '../store/migrations';
import { withTimeout } from '../store/with-timeout';
import { sendJson } from './http-responses';

/** A write failure keeps the instance "not ready" this long, unless a commit succeeds sooner. */
const WRITE_FAILURE_MEMORY_MS = 5000;
const CHECK_TIMEOUT_MS = 1000;

/**
 * Whether the database is taking requests. Reads can succeed on a database that
 * cannot take writes (a full disk, a read-only file), so failures of real requests
 * are remembered: the last one counts until a commit succeeds or it is old.
 */
export class DatabaseHealth {
  private failedAt = -Infinity;
  private failure: string | null = null;

  succeeded(): void {
    this.failedAt = -Infinity;
    this.failure = null;
  }

  failed(error: unknown): void {
    this.failedAt = performance.now();
    this.failure = String((error as { code?: unknown })?.code ?? (error as Error)?.message ?? 'failed');
  }

  /** The code of a recent write failure, or null when writes are believed to work. */
  get recentFailure(): string | null {
    return performance.now() - this.failedAt < WRITE_FAILURE_MEMORY_MS ? this.failure : null;
  }
}

export interface ReadinessDeps {
  db: Db;
  health: DatabaseHealth;
  /** PostgreSQL: whether the change listener confirmed it is delivering (the key cache can be trusted). */
  changesLive: (() => boolean) | null;
}

/** GET /ready: 200 when this instance can serve, 503 with what is wrong otherwise. */
export async function answerReadiness(res: ServerResponse, { db, health, changesLive }: ReadinessDeps): Promise<void> {
  const problems: string[] = [];
  try {
    const pending = await withTimeout(pendingMigrations(db), CHECK_TIMEOUT_MS);
    if (pending.length) problems.push(`migrations not applied: ${pending.join(', ')} (run npm run migrate)`);
    await withTimeout(sql`select 1`.execute(db), CHECK_TIMEOUT_MS);
  } catch {
    problems.push('database unreachable');
  }
  const failure = health.recentFailure;
  if (failure) problems.push(`database requests failing (${failure})`);
  if (changesLive && !changesLive()) problems.push('change notifications not confirmed: verification reads the database for every key');
  sendJson(res, problems.length ? 503 : 200, problems.length ? { status: 'unavailable', problems } : { status: 'ready' });
}

/** GET /health: the process is alive and its event loop answers. Says nothing of the database (see /ready). */
export function answerLiveness(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}
