import type { ServerResponse } from 'node:http';
import type { Db } from '../store/database';
import { pendingMigrations } from '../store/migrations';
import { withTimeout } from '../store/with-timeout';
import { sendJson } from './http-responses';

/** A failed database request keeps the instance "not ready" this long, unless a commit succeeds sooner. */
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

  /** The code of a recent failure, or null when the database is believed to work. */
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

/** How long one database check answers /ready: anyone may call it, so a flood costs one check a second. */
const CHECK_REUSE_MS = 1000;

/**
 * GET /ready: 200 when this instance can serve, 503 with what is wrong otherwise.
 * It needs no token, so what touches the database is done at most once a second,
 * shared by every caller meanwhile; the in-memory parts are read on every call.
 */
export function createReadiness({ db, health, changesLive }: ReadinessDeps) {
  let checked: { at: number; problems: Promise<string[]> } | null = null;
  const databaseProblems = () => {
    if (!checked || performance.now() - checked.at > CHECK_REUSE_MS) checked = { at: performance.now(), problems: checkDatabase(db) };
    return checked.problems;
  };
  return async (res: ServerResponse): Promise<void> => {
    const problems = [...(await databaseProblems())];
    const failure = health.recentFailure;
    if (failure) problems.push(`database requests failing (${failure})`);
    if (changesLive && !changesLive()) problems.push('change notifications not confirmed: verification reads the database for every key');
    if (problems.length) sendJson(res, 503, { status: 'unavailable', problems });
    else sendJson(res, 200, { status: 'ready' });
  };
}

async function checkDatabase(db: Db): Promise<string[]> {
  try {
    const pending = await withTimeout(pendingMigrations(db), CHECK_TIMEOUT_MS);
    return pending.length ? [`migrations not applied: ${pending.join(', ')} (run npm run migrate)`] : [];
  } catch {
    return ['database unreachable'];
  }
}

/** GET /health: the process is alive and its event loop answers. Says nothing of the database (see /ready). */
export function answerLiveness(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}
