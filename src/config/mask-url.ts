/**
 * A URL as it may be printed: its password replaced by "***". Used for every line
 * that names DATABASE_URL — startup log, CLIs, error lines — so none of them leaks
 * the password. A value that is not a URL (a SQLite file path) has no password and
 * prints as is.
 *
 * Done on the text, never through `new URL`: a password with an unencoded / ? # or @
 * makes the URL unparsable, or parse with the password as a port and a path
 * (postgres://u:123/abc@h/db), and either way a parser would leave it in plain sight.
 * Everything from the scheme to the LAST @ is taken for user information, wherever
 * that @ is, so an @ in a query value masks more than needed: better masked than leaked.
 */
export function maskUrl(value: string): string {
  // Two letters at least: "C:\data\apikeys.db" is a Windows path, not a URL.
  const scheme = /^\s*[a-z][a-z0-9+.-]+:\/*/i.exec(value)?.[0];
  // No scheme (a path, or a URL whose scheme is mistyped, "postgres//u:pw@h/db"): whatever
  // follows a "//" up to its last @ may still be user information.
  if (scheme === undefined) return value.replace(/(\/\/)([^/]*)@/, (_match, slashes: string, userInfo: string) => `${slashes}${maskUserInfo(userInfo, true)}@`);
  let rest = value.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = `${maskUserInfo(rest.slice(0, at), scheme.endsWith('//'))}${rest.slice(at)}`;
  // libpq and pg also take the password as a query parameter.
  return scheme + rest.replace(/([?&;]password=)[^&]*/gi, '$1***');
}

/**
 * The user name stays when it is plainly one (it helps tell databases apart and is
 * no secret): the text before the first ":". Anything odder is masked whole. Without
 * "//" a lone name may be the password ("app:pw@db" reads as scheme "app:"), so it goes too.
 */
function maskUserInfo(userInfo: string, afterSlashes: boolean): string {
  if (afterSlashes && /^[\w.~%!$'()*+,;=-]*$/.test(userInfo)) return userInfo;
  const user = /^([\w.~%!$'()*+,;=-]*):/.exec(userInfo)?.[1];
  return user === undefined ? '***' : `${user}:***`;
}
