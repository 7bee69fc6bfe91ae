/**
 * A URL as it may be printed: its password replaced by "***" (the user name stays,
 * it helps tell databases apart and is no secret). Used for every line that names
 * DATABASE_URL — startup log, CLIs, error lines — so none of them leaks the password.
 * A value that is not a URL (a SQLite file path) has no password and prints as is.
 */
export function maskUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Malformed (a bad port, say) yet maybe with a password in it: mask the
    // "user:password@" part by pattern, as the error line that names it must not leak it.
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):[^@/?#]*@/i, '$1:***@');
  }
  if (!url.password) return value;
  url.password = '***';
  return url.toString();
}
