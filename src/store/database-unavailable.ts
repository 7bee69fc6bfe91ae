import { DomainError } from '../domain/errors';

/**
 * The database could not be reached, or could not take the request, right now:
 * the caller may retry shortly (HTTP 503 with Retry-After). Nothing was written.
 */
export class DatabaseUnavailableError extends DomainError {
  readonly code = 'UNAVAILABLE';
  constructor(message = 'The service cannot reach its database right now; nothing was changed. Try again shortly.', options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/** Seconds a client should wait before retrying an UNAVAILABLE answer. */
export const RETRY_AFTER_SECONDS = 1;

// PostgreSQL SQLSTATE classes and codes that mean "not now" rather than "never":
// 08 connection exception, 57P01-57P03 shutdown / cannot connect now, 53 insufficient resources.
const POSTGRES_UNAVAILABLE = /^(08|57P0[1-3]|53)/;
// Node socket errors, and the messages node-postgres uses for a lost or refused connection.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const POSTGRES_LOST = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed|not queryable/i;
// SQLite: locked by another process, disk full, I/O error, unreadable or read-only file.
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|FULL|IOERR|CORRUPT|NOTADB|CANTOPEN|READONLY|PROTOCOL)/;

/** Whether an error says the database is unavailable (for now), as opposed to a bug or bad input. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SQLITE_UNAVAILABLE.test(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && POSTGRES_UNAVAILABLE.test(code)) return true;
  }
  return typeof message === 'string' && POSTGRES_LOST.test(message);
}
