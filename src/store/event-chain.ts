import { createHash } from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import type { EventsTable } from './schema';

// Tamper evidence: every event's chain_hash is the SHA-256 of its stored content
// and of the previous event's chain_hash, in log order. Changing, removing or
// reordering any stored event breaks the chain from that point on. What is hashed
// is the row exactly as stored (data and metadata as their JSON text), so the
// chain never depends on how a later build reads or upcasts an event.

export const GENESIS_HASH = '0'.repeat(64);

type ChainedContent = Pick<Insertable<EventsTable>, 'stream_id' | 'stream_version' | 'type' | 'schema_version' | 'data' | 'metadata' | 'recorded_at'>;

export function chainHash(previousHash: string, row: ChainedContent): string {
  // A JSON array keeps field boundaries unambiguous: no two different rows encode alike.
  const content = JSON.stringify([previousHash, row.stream_id, row.stream_version, row.type, row.schema_version, row.data, row.metadata, row.recorded_at]);
  return createHash('sha256').update(content).digest('hex');
}

/** Gives each row its chain_hash, continuing from `previousHash`, in the order they will be inserted. */
export function chainRows<T extends ChainedContent>(previousHash: string, rows: T[]): (T & { chain_hash: string })[] {
  let hash = previousHash;
  return rows.map((row) => ({ ...row, chain_hash: (hash = chainHash(hash, row)) }));
}

export interface ChainBreak {
  position: number;
  /** What the check found, for the report; never the event's content. */
  problem: string;
}

/** Checks rows read in position order, continuing from `previousHash`; the first break, if any. */
export function firstChainBreak(previousHash: string, rows: Selectable<EventsTable>[]): { break: ChainBreak | null; lastHash: string } {
  let hash = previousHash;
  for (const row of rows) {
    const expected = chainHash(hash, row);
    if (row.chain_hash !== expected) {
      return {
        break: {
          position: Number(row.position),
          problem: row.chain_hash ? 'The event does not match its chain hash: it was altered, or an event before it was removed or altered' : 'The event has no chain hash',
        },
        lastHash: hash,
      };
    }
    hash = expected;
  }
  return { break: null, lastHash: hash };
}
