// Who the console acts as: a bearer token, held in memory. A token typed in on the
// sign-in screen is also kept in sessionStorage (this tab only, gone when it closes),
// so a reload does not sign the user out; never in localStorage, a cookie or the URL.
// The development token (loopback only) and an embedding page's token stay in memory.

type TokenSource = 'development' | 'signed-in' | 'embedded';

export interface Session {
  token: string;
  source: TokenSource;
}

const STORAGE_KEY = 'api-keys-console.token';

export function storedSession(): Session | null {
  try {
    const token = sessionStorage.getItem(STORAGE_KEY);
    return token ? { token, source: 'signed-in' } : null;
  } catch {
    return null; // storage disabled: the user signs in again after a reload
  }
}

export function rememberSession(session: Session): void {
  if (session.source !== 'signed-in') return;
  try {
    sessionStorage.setItem(STORAGE_KEY, session.token);
  } catch {}
}

export function forgetSession(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {}
}

export interface ConsoleConfig {
  developmentToken: string | null;
  embedOrigins: string[];
}

/** The service's settings for this page (GET console/config): the development token, if this machine gets one. */
export async function loadConsoleConfig(): Promise<ConsoleConfig> {
  const response = await fetch(new URL('console/config', document.baseURI), { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`The service answered ${response.status} for the console's settings.`);
  return (await response.json()) as ConsoleConfig;
}
