import { type Kysely, sql } from 'kysely';
import { isPostgres } from '../store/database';
import type { Database } from '../store/schema';

/**
 * Flushes hold this lock shared for their transaction, closing the books holds it
 * exclusively to move the seal (PostgreSQL; SQLite has one writer at a time): a
 * flush either commits before the seal moves, into the hour being closed, or
 * sees the new seal and writes into the first open window.
 */
const USAGE_SEAL_LOCK = 0x55534147; // "USAG"

export async function lockSealShared(trx: Kysely<Database>): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock_shared(${USAGE_SEAL_LOCK})`.execute(trx);
}

export async function lockSealExclusive(trx: Kysely<Database>): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(${USAGE_SEAL_LOCK})`.execute(trx);
}

/** Windows before this time (epoch ms) are closed or being closed. */
export async function readSeal(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('usage_seal').select('sealed_through').where('id', '=', 1).executeTakeFirst();
  return Number(row?.sealed_through ?? 0);
}
