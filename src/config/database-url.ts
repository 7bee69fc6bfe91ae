import { maskUrl } from './mask-url';

// The forms DATABASE_URL may take. Anything else is refused at start: a typo, or a
// database this service does not speak (mysql://…), would otherwise be taken for a
// SQLite file name, and the service would start on an empty database of that name.

export const DATABASE_URL_FORMS =
  'postgres://user:password@host:5432/database (or postgresql://; add ?schema=name for a schema of your own), or a SQLite file: a path such as ./data/apikeys.db, sqlite:path, file:path, or :memory:';

/** A PostgreSQL ?schema= name: lowercase, so it needs no quoting anywhere. */
export const POSTGRES_SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(databaseUrl);
}

export function sqliteFileFromUrl(databaseUrl: string): string {
  const file = databaseUrl.replace(/^(sqlite|file):(\/\/)?/i, '');
  if (!file) throw new Error('DATABASE_URL names no file');
  return file;
}

/** What is wrong with a DATABASE_URL (a sentence to follow its name), or null when it is one of the accepted forms. */
export function databaseUrlProblem(databaseUrl: string): string | null {
  const accepted = `; accepted: ${DATABASE_URL_FORMS}`;
  if (databaseUrl.trim() === '') return `is empty${accepted}`;
  const shown = JSON.stringify(maskUrl(databaseUrl));
  // " postgres://…" would be taken for a SQLite file named so, and printed whole as its path.
  if (databaseUrl !== databaseUrl.trim()) return `${shown} has spaces or line breaks at its start or end${accepted}`;
  if (isPostgresUrl(databaseUrl)) {
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      return `${shown} is not a valid URL (a port that is not a number? a password with / ? # or @ not percent-encoded?)${accepted}`;
    }
    // postgres://u:123/abc@h/db parses (host u, port 123, path /abc@h/db): a password with an
    // unencoded / ? or # cut short. An @ belongs before the host only; elsewhere it is written %40.
    if (/@/.test(url.pathname + url.search + url.hash))
      return `${shown} has an @ after the host: percent-encode special characters in the password (/ as %2F, ? as %3F, # as %23, @ as %40), and an @ in a database name or query value as %40${accepted}`;
    const schema = url.searchParams.get('schema');
    if (schema !== null && !POSTGRES_SCHEMA_PATTERN.test(schema))
      return `${shown} names ?schema=${schema}: a schema name must be lowercase letters, digits and _, not starting with a digit`;
    return null;
  }
  // Two letters at least: "C:\data\apikeys.db" is a Windows path, not a URL.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(databaseUrl)?.[1];
  if (scheme && !/^(sqlite|file)$/i.test(scheme)) {
    const postgresTypo = /^postgres(ql)?$/i.test(scheme) ? ' (PostgreSQL URLs start with postgres://, two slashes)' : '';
    return `${shown} is not a database this service can use (${scheme}:)${postgresTypo}${accepted}`;
  }
  if (scheme && databaseUrl.replace(/^(sqlite|file):(\/\/)?/i, '') === '') return `${shown} names no file${accepted}`;
  // "postgres//u:pw@h/db" (a colon missing) has no scheme, so it would be a SQLite path, printed whole.
  if (!scheme && (/^postgres/i.test(databaseUrl) || /\/\/[^/]*@/.test(databaseUrl)))
    return `${shown} looks like a URL whose scheme is mistyped (PostgreSQL URLs start with postgres://)${accepted}`;
  return null;
}
