import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { EventMetadata, StoredEvent } from '../../events/event-envelope';
import { isLogEventType, LOG_EVENT_SCHEMA_VERSIONS, type LogEvent } from '../../events/log-events';
import { upcastEventData } from '../../events/upcast';
import { ConflictError } from '../domain/errors';
import { isPostgres } from './database';
import { chainRows, GENESIS_HASH } from './event-chain';
import type { Database, EventsTable } from './schema';

/**
 * PostgreSQL hands out positions from a sequence at insert, but transactions
 * commit in any order, so a reader paging by position could pass a position whose
 * transaction commits later, and never see it. Appends therefore take one
 * transaction-scoped advisory lock: positions become visible strictly in order.
 * (SQLite gets the same from BEGIN IMMEDIATE: one writer at a time.) The cost is
 * that appends do not run in parallel; each holds the lock for a few statements.
 */
const APPEND_LOCK = 0x4150494b; // "APIK"

export interface AppendOptions {
  metadata: EventMetadata;
  recordedAt: string;
}

/**
 * Appends events to one stream inside the caller's transaction, so the caller can
 * update projections in the same commit. The unique (stream_id, stream_version)
 * constraint is what rejects a concurrent writer; the version check before it only
 * turns a stale expectation into the same Conflict without relying on it.
 */
export async function appendToStream<E extends LogEvent>(
  trx: Transaction<Database>,
  streamId: string,
  expected: number,
  events: E[],
  { metadata, recordedAt }: AppendOptions,
): Promise<StoredEvent<E>[]> {
  await lockAppends(trx);
  const current = await currentStreamVersion(trx, streamId);
  if (expected !== current) throw new ConflictError(streamId, expected);

  const rows = events.map((event, index) => eventRow(streamId, current + index + 1, event, metadata));
  try {
    return (await insertChained(trx, rows, recordedAt)) as StoredEvent<E>[];
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(streamId, current);
    throw error;
  }
}

/**
 * Appends one event to the end of each of many streams, in two statements
 * whatever their number: bulk loads (a large history for tests and benchmarks).
 */
export async function appendAtStreamEnds(
  trx: Transaction<Database>,
  entries: { streamId: string; event: LogEvent; metadata: EventMetadata }[],
  recordedAt: string,
): Promise<StoredEvent<LogEvent>[]> {
  if (entries.length === 0) return [];
  await lockAppends(trx);
  const streamIds = [...new Set(entries.map((entry) => entry.streamId))];
  const versions = new Map<string, number>();
  for (let i = 0; i < streamIds.length; i += 500) {
    const rows = await trx
      .selectFrom('events')
      .select(['stream_id', (eb) => eb.fn.max('stream_version').as('version')])
      .where('stream_id', 'in', streamIds.slice(i, i + 500))
      .groupBy('stream_id')
      .execute();
    for (const row of rows) versions.set(row.stream_id, Number(row.version));
  }
  const rows = entries.map(({ streamId, event, metadata }) => {
    const version = (versions.get(streamId) ?? 0) + 1;
    versions.set(streamId, version);
    return eventRow(streamId, version, event, metadata);
  });
  try {
    return await insertChained(trx, rows, recordedAt);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(entries[0]!.streamId, 0);
    throw error;
  }
}

type UnchainedRow = Omit<Insertable<EventsTable>, 'chain_hash' | 'recorded_at'>;

/**
 * Inserts rows after the log's current head, each carrying its link in the hash
 * chain. Runs under the append lock, so the head cannot move meanwhile. The
 * recorded time never goes back along the log (instances' clocks differ by a little),
 * so "recorded up to a moment" is always a prefix of the log: what time travel reads.
 */
async function insertChained(trx: Transaction<Database>, rows: UnchainedRow[], recordedAt: string): Promise<StoredEvent<LogEvent>[]> {
  const head = await trx.selectFrom('events').select(['chain_hash', 'recorded_at']).orderBy('position', 'desc').limit(1).executeTakeFirst();
  // Chaining onto a row without a hash would quietly restart the chain; refuse instead.
  if (head && !head.chain_hash) throw new Error('The last event in the log has no chain hash; run npm run verify-log');
  const recorded = head && head.recorded_at > recordedAt ? head.recorded_at : recordedAt;
  const chained = chainRows(
    head?.chain_hash ?? GENESIS_HASH,
    rows.map((row) => ({ ...row, recorded_at: recorded })),
  );
  const inserted: Selectable<EventsTable>[] = [];
  // Chunks keep each statement under SQLite's bound-parameter limit.
  for (let i = 0; i < chained.length; i += 500) {
    inserted.push(
      ...(await trx
        .insertInto('events')
        .values(chained.slice(i, i + 500))
        .returningAll()
        .execute()),
    );
  }
  // The chain was computed in insertion order; positions must have followed it.
  inserted.sort((a, b) => Number(a.position) - Number(b.position));
  if (inserted.some((row, index) => row.chain_hash !== chained[index]!.chain_hash)) {
    throw new Error('Positions were not assigned in insertion order; the append was rolled back');
  }
  return inserted.map(toStoredEvent);
}

async function lockAppends(trx: Transaction<Database>): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx);
}

function eventRow(streamId: string, version: number, event: LogEvent, metadata: EventMetadata): UnchainedRow {
  return {
    stream_id: streamId,
    stream_version: version,
    type: event.type,
    schema_version: LOG_EVENT_SCHEMA_VERSIONS[event.type],
    data: JSON.stringify(event.data),
    metadata: JSON.stringify(metadata),
  };
}

export async function currentStreamVersion(db: Kysely<Database>, streamId: string): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('stream_version').as('version'))
    .where('stream_id', '=', streamId)
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}

/** A key's lifecycle stream, in order (its events are all key events). */
export async function readStream(db: Kysely<Database>, streamId: string): Promise<StoredEvent[]> {
  const rows = await db.selectFrom('events').selectAll().where('stream_id', '=', streamId).orderBy('stream_version').execute();
  return rows.map(toStoredEvent) as StoredEvent[];
}

/** When the last event was recorded (epoch ms); -Infinity for an empty log. */
export async function logHeadRecordedAt(db: Kysely<Database>): Promise<number> {
  const head = await db.selectFrom('events').select('recorded_at').orderBy('position', 'desc').limit(1).executeTakeFirst();
  return head ? Date.parse(head.recorded_at) : -Infinity;
}

/** Reads the global log in position order, a batch at a time. */
export async function readAll(db: Kysely<Database>, afterPosition: number, limit: number): Promise<StoredEvent<LogEvent>[]> {
  const rows = await db.selectFrom('events').selectAll().where('position', '>', afterPosition).orderBy('position').limit(limit).execute();
  return rows.map(toStoredEvent);
}

export function toStoredEvent(row: Selectable<EventsTable>): StoredEvent<LogEvent> {
  if (!isLogEventType(row.type)) throw new Error(`Unknown event type in the log at position ${row.position}`);
  if (row.schema_version > LOG_EVENT_SCHEMA_VERSIONS[row.type]) {
    throw new Error(`Event at position ${row.position} has a newer schema version than this build understands`);
  }
  return {
    type: row.type,
    data: upcastEventData(row.type, row.schema_version, LOG_EVENT_SCHEMA_VERSIONS[row.type], JSON.parse(row.data)),
    position: Number(row.position),
    streamId: row.stream_id,
    streamVersion: Number(row.stream_version),
    schemaVersion: row.schema_version,
    metadata: JSON.parse(row.metadata),
    recordedAt: row.recorded_at,
  } as StoredEvent<LogEvent>;
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
