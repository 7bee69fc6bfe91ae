import { createHash } from 'node:crypto';
import type { RowsDigest } from '../../events/books-events';

/**
 * The columns of each usage table in the order rows are hashed. The books record
 * a digest per table and period (events/books-events.ts); the integrity check
 * recomputes it from the rows kept. Changing a list here breaks every digest
 * already recorded: add a new version instead.
 */
export const DIGEST_COLUMNS = {
  usage_windows: [
    'window_start',
    'key_id',
    'principal',
    'instance',
    'project_id',
    'total',
    'valid',
    'inactive',
    'expired',
    'deleted',
    'last_valid_at',
    'last_rejected_at',
    'last_rejected_code',
  ],
  usage_project_windows: ['window_start', 'project_id', 'instance', 'total', 'valid', 'inactive', 'expired', 'deleted'],
  usage_key_hours: ['hour_start', 'key_id', 'project_id', 'total', 'valid', 'inactive', 'expired', 'deleted', 'last_valid_at', 'last_rejected_at', 'last_rejected_code'],
  usage_project_hours: ['hour_start', 'project_id', 'total', 'valid', 'inactive', 'expired', 'deleted'],
  usage_key_days: ['key_id', 'day_start', 'project_id', 'total', 'valid', 'inactive', 'expired', 'deleted', 'last_valid_at', 'last_rejected_at', 'last_rejected_code'],
  usage_project_days: ['project_id', 'day_start', 'total', 'valid', 'inactive', 'expired', 'deleted'],
} as const;

export type DigestedTable = keyof typeof DIGEST_COLUMNS;

/**
 * SHA-256 over the sorted SHA-256s of the rows (each a JSON array of the table's
 * columns). Independent of the order rows are read in: PostgreSQL orders text by
 * the database's collation, SQLite and JavaScript by code point.
 */
export class RowsDigester {
  private readonly rowHashes: string[] = [];
  constructor(private readonly table: DigestedTable) {}

  add(row: Record<string, unknown>): void {
    // Numbers as numbers whatever the driver returned (PostgreSQL bigint arrives parsed, SQLite as is).
    const values = DIGEST_COLUMNS[this.table].map((column) => {
      const value = row[column];
      return typeof value === 'bigint' ? Number(value) : (value ?? null);
    });
    this.rowHashes.push(createHash('sha256').update(JSON.stringify(values)).digest('hex'));
  }

  result(): RowsDigest {
    const hash = createHash('sha256');
    for (const rowHash of this.rowHashes.sort()) hash.update(rowHash);
    return { rows: this.rowHashes.length, sha256: hash.digest('hex') };
  }
}
