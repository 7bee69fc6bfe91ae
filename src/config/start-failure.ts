import { maskUrl } from './mask-url';

// Why the service (or a CLI) could not start, as one line an operator can act on:
// which setting or resource, and what to do. The underlying error stays attached
// as `cause` for whoever embeds the code; the line carries no stack and no password.

/** A failure whose message is already that one line. */
export class StartFailure extends Error {}

type SystemError = Error & { code?: string; syscall?: string; hostname?: string; path?: string; errors?: unknown[] };

/** What Node's and PostgreSQL's error codes mean, in words (the rest keep their own message). */
const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running, on that host and port?)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS did not answer)',
  ETIMEDOUT: 'no answer (timed out)',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file is in the way: it is not a folder',
  ENOSPC: 'no space left on the disk',
  EISDIR: 'it is a folder, not a file',
  SQLITE_CANTOPEN: 'the file cannot be opened',
  SQLITE_READONLY: 'the file is read-only',
  SQLITE_NOTADB: 'the file is not a SQLite database',
  SQLITE_CORRUPT: 'the database file is damaged',
  '28P01': 'password authentication failed',
  '28000': 'the server refused this user (pg_hba.conf or role)',
  '3D000': 'the database does not exist',
  '57P03': 'the server is starting up or shutting down',
  '53300': 'the server has too many connections',
};

function codeOf(error: SystemError): string | undefined {
  // A refused connection to a name with several addresses arrives as an AggregateError.
  return error.code ?? (error.errors?.[0] as SystemError | undefined)?.code;
}

/** The cause of a low-level error in words, without a stack; database URLs in it are masked. */
export function causeOf(error: unknown, databaseUrl?: string): string {
  const failure = error as SystemError;
  const code = codeOf(failure);
  const words = (code && CAUSES[code]) ?? (/timeout/i.test(failure.message ?? '') ? 'no answer (timed out)' : (failure.message ?? String(error)));
  const line = words.split('\n')[0]!;
  return databaseUrl ? line.split(databaseUrl).join(maskUrl(databaseUrl)) : line;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', '28P01', '28000', '3D000', '57P03', '53300']);

/** Whether a PostgreSQL error means the database could not be reached or logged into (not a failed statement). */
export function isConnectionFailure(error: unknown): boolean {
  const failure = error as SystemError;
  const code = codeOf(failure);
  return (code !== undefined && CONNECTION_CODES.has(code)) || /timeout exceeded when trying to connect|Connection terminated/i.test(failure.message ?? '');
}

export interface ListenSettings {
  port: number;
  host: string;
  databaseUrl: string;
}

/**
 * One line for a failure to start the server: a StartFailure's own message, or a
 * listening error in the words of PORT and HOST. null when it is none of these
 * (a bug: the caller logs it whole).
 */
export function explainStartFailure(error: unknown, settings: ListenSettings): string | null {
  if (error instanceof StartFailure) return error.message;
  const failure = error as SystemError;
  const code = codeOf(failure);
  const where = `(PORT=${settings.port}, HOST=${settings.host})`;
  if (code === 'EADDRINUSE') return `port ${settings.port} on ${settings.host} is already in use ${where}: stop what listens there, or set another PORT`;
  if (code === 'EACCES' && failure.syscall === 'listen')
    return `port ${settings.port} on ${settings.host} needs privileges this process lacks ${where}: use a PORT of 1024 or more, or let a proxy listen on the low port`;
  if (code === 'EADDRNOTAVAIL')
    return `HOST=${settings.host} cannot be listened on: it is not an address of this machine; use one of its addresses, 127.0.0.1 for this machine only or 0.0.0.0 for every interface`;
  if ((code === 'ENOTFOUND' || code === 'EAI_AGAIN') && failure.hostname === settings.host) {
    return `HOST=${settings.host} cannot be listened on: the name does not resolve (${code}); use an IP address, or a name this machine resolves`;
  }
  return null;
}

/**
 * Why a database could not be opened (or migrated), as a StartFailure naming the
 * masked DATABASE_URL. `sqliteFile` is the file a SQLite URL names, null on PostgreSQL.
 */
export function databaseOpenFailure(databaseUrl: string, sqliteFile: string | null, error: unknown): StartFailure {
  if (error instanceof StartFailure) return error;
  const failure = error as SystemError;
  const cause = causeOf(error, databaseUrl);
  let line: string;
  if (sqliteFile === null) {
    line = isConnectionFailure(error)
      ? `cannot connect to the database ${maskUrl(databaseUrl)} (DATABASE_URL): ${cause}`
      : `could not apply migrations to ${maskUrl(databaseUrl)} (DATABASE_URL): ${cause}`;
  } else if (failure.syscall === 'mkdir') {
    line = `cannot create the data folder ${failure.path ?? sqliteFile} for DATABASE_URL=${sqliteFile}: ${cause}`;
  } else if (codeOf(failure)?.startsWith('SQLITE_') || failure.syscall) {
    line = `cannot open the SQLite database ${sqliteFile} (DATABASE_URL): ${cause}; the file and its folder must be writable`;
  } else {
    line = `could not apply migrations to ${sqliteFile} (DATABASE_URL): ${cause}`;
  }
  return new StartFailure(line, { cause: error });
}
