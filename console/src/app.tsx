import { useCallback, useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { createApiClient } from './api/client';
import { isEmbedded, listenForEmbedder, tellEmbedder } from './auth/embedding';
import { type ConsoleConfig, forgetSession, loadConsoleConfig, rememberSession, type Session, storedSession } from './auth/session';
import { SignIn } from './auth/sign-in';
import { Shell } from './shell/shell';
import { LoadError, Loading } from './ui/states';

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
  const embedded = isEmbedded() && (config?.embedOrigins.length ?? 0) > 0;

  const load = useCallback(() => {
    setConfigError(null);
    loadConsoleConfig().then(setConfig, setConfigError);
  }, []);
  useEffect(load, [load]);

  useEffect(() => {
    if (!config || session) return;
    if (config.developmentToken) setSession({ token: config.developmentToken, source: 'development' });
  }, [config, session]);

  useEffect(() => {
    if (!config || !embedded) return;
    const stop = listenForEmbedder(config.embedOrigins, ({ token, projectId }) => {
      setSession({ token, source: 'embedded' });
      if (projectId) window.location.hash = `#/projects/${encodeURIComponent(projectId)}/keys`;
    });
    tellEmbedder(config.embedOrigins, 'ready');
    return stop;
  }, [config, embedded]);

  const signOut = useCallback((why: string | null) => {
    forgetSession();
    setSession(null);
    setNotice(why);
  }, []);

  const onUnauthorized = useCallback(() => {
    if (embedded && config) tellEmbedder(config.embedOrigins, 'expired');
    signOut('Your token was refused: it expired or is not valid here. Sign in again.');
  }, [embedded, config, signOut]);

  const client = useMemo(() => (session ? createApiClient({ token: session.token, onUnauthorized }) : null), [session, onUnauthorized]);

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
      <Shell session={session} onSignOut={() => signOut(null)} />
    </Provider>
  );
}
