import { useCallback, useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { createApiClient } from './api/client';
import { isEmbedded, listenForEmbedder, tellEmbedder } from './auth/embedding';
import { type ConsoleConfig, forgetSession, loadConsoleConfig, rememberSession, type Session, storedSession } from './auth/session';
import { SignIn } from './auth/sign-in';
import { Shell } from './shell/shell';
import { LoadError, Loading } from './ui/states';

const READY_EVERY_MS = 1000;
const READY_TRIES = 30;

/**
 * Settles who the console acts as, then shows it. In order: a token typed in earlier in
 * this tab; the development token (a page loaded from the machine running the service in
 * development); the embedding page's token; else the sign-in screen.
 */
export function App() {
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [configError, setConfigError] = useState<Error | null>(null);
  const [session, setSession] = useState<Session | null>(storedSession);
  const [notice, setNotice] = useState<string | null>(null);
  // A development token the user signed out of, or the API refused, is not taken up again
  // (a refused one would otherwise be retried without end); a new one, after a restart, is.
  const [declinedToken, setDeclinedToken] = useState<string | null>(null);
  const embedded = isEmbedded() && (config?.embedOrigins.length ?? 0) > 0;

  const load = useCallback(() => {
    setConfigError(null);
    loadConsoleConfig().then(setConfig, setConfigError);
  }, []);
  useEffect(load, [load]);

  useEffect(() => {
    if (!config || session) return;
    if (config.developmentToken && config.developmentToken !== declinedToken) setSession({ token: config.developmentToken, source: 'development' });
  }, [config, session, declinedToken]);

  useEffect(() => {
    if (!config || !embedded) return;
    let answered = false;
    const stop = listenForEmbedder(config.embedOrigins, ({ token, projectId }) => {
      answered = true;
      setSession({ token, source: 'embedded' });
      if (projectId && !window.location.hash.startsWith(`#/projects/${encodeURIComponent(projectId)}/`)) window.location.hash = `#/projects/${encodeURIComponent(projectId)}/keys`;
    });
    // Said again until answered: the embedding page may start listening after the frame loads.
    let tries = 0;
    const ready = () => {
      if (answered || tries++ >= READY_TRIES) return clearInterval(timer);
      tellEmbedder(config.embedOrigins, 'ready');
    };
    const timer = setInterval(ready, READY_EVERY_MS);
    ready();
    return () => {
      clearInterval(timer);
      stop();
    };
  }, [config, embedded]);

  const signOut = useCallback((from: Session | null, why: string | null) => {
    forgetSession();
    if (from?.source === 'development') setDeclinedToken(from.token);
    setSession(null);
    setNotice(why);
  }, []);

  const onUnauthorized = useCallback(
    (refused: Session) => {
      if (embedded && config) tellEmbedder(config.embedOrigins, 'expired');
      signOut(refused, 'Your token was refused: it expired or is not valid here. Sign in again.');
      // The server may have restarted with a new development token: ask once more.
      if (refused.source === 'development') load();
    },
    [embedded, config, signOut, load],
  );

  const client = useMemo(() => (session ? createApiClient({ token: session.token, onUnauthorized: () => onUnauthorized(session) }) : null), [session, onUnauthorized]);

  if (configError)
    return (
      <main id="main" className="centered">
        <h1>API Keys</h1>
        <LoadError error={configError} retry={load} />
      </main>
    );
  if (!config)
    return (
      <main id="main" className="centered">
        <Loading what="the console" />
      </main>
    );
  if (!session || !client) {
    if (embedded)
      return (
        <main id="main" className="centered">
          <Loading what="your session from the page" />
        </main>
      );
    return (
      <SignIn
        notice={notice}
        onSignIn={(token) => {
          const next: Session = { token, source: 'signed-in' };
          rememberSession(next);
          setNotice(null);
          setSession(next);
        }}
      />
    );
  }
  return (
    <Provider value={client}>
      <Shell session={session} onSignOut={() => signOut(session, null)} />
    </Provider>
  );
}
