import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Provider } from 'urql';
import { createApiClient } from './api/client';
import { isEmbedded, listenForEmbedder, tellEmbedder } from './auth/embedding';
import { type ConsoleConfig, forgetSession, loadConsoleConfig, rememberSession, type Session, storedSession } from './auth/session';
import { SignIn } from './auth/sign-in';
import { Shell } from './shell/shell';
import { LoadError, Loading } from './ui/states';

const READY_EVERY_MS = 1000;
const READY_TRIES = 30;
/** Refused embedder tokens in a row (no answered request between them) after which the console stops asking for more. */
const EMBEDDED_REFUSALS = 3;

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
  // Sessions already found refused: several requests failing at once are one refusal.
  const refusedSessions = useRef(new WeakSet<Session>());
  // Tokens of the embedding page found refused: handed again, they count as refused at once.
  const refusedEmbedTokens = useRef(new Set<string>());
  const embeddedRefusals = useRef(0);
  const [embedFailure, setEmbedFailure] = useState(false);
  const [embedSilent, setEmbedSilent] = useState(false);

  // A page handing over token after refused token would otherwise be asked without end.
  const embeddedRefused = useCallback(() => {
    if (!config) return;
    if (++embeddedRefusals.current >= EMBEDDED_REFUSALS) setEmbedFailure(true);
    else tellEmbedder(config.embedOrigins, 'expired');
  }, [config]);

  const load = useCallback(() => {
    setConfigError(null);
    loadConsoleConfig().then(setConfig, setConfigError);
  }, []);
  useEffect(load, [load]);

  useEffect(() => {
    // Framed by a platform, the console acts as the platform's user only, never as the developer.
    if (!config || session || embedded) return;
    if (config.developmentToken && config.developmentToken !== declinedToken) setSession({ token: config.developmentToken, source: 'development' });
  }, [config, session, declinedToken, embedded]);

  useEffect(() => {
    if (!config || !embedded) return;
    let answered = false;
    const stop = listenForEmbedder(config.embedOrigins, ({ token, projectId }) => {
      answered = true;
      setEmbedSilent(false);
      // Handed a token already refused: as good as refused again, without asking the API.
      if (refusedEmbedTokens.current.has(token)) return embeddedRefused();
      setEmbedFailure(false);
      setSession({ token, source: 'embedded' });
      if (projectId && !window.location.hash.startsWith(`#/projects/${encodeURIComponent(projectId)}/`)) window.location.hash = `#/projects/${encodeURIComponent(projectId)}/keys`;
    });
    // Said again until answered: the embedding page may start listening after the frame loads.
    let tries = 0;
    const ready = () => {
      if (answered) return clearInterval(timer);
      if (tries++ >= READY_TRIES) {
        clearInterval(timer);
        return setEmbedSilent(true);
      }
      tellEmbedder(config.embedOrigins, 'ready');
    };
    const timer = setInterval(ready, READY_EVERY_MS);
    ready();
    return () => {
      clearInterval(timer);
      stop();
    };
  }, [config, embedded, embeddedRefused]);

  const signOut = useCallback((from: Session | null, why: string | null) => {
    forgetSession();
    if (from?.source === 'development') setDeclinedToken(from.token);
    setSession(null);
    setNotice(why);
  }, []);

  const onUnauthorized = useCallback(
    (refused: Session) => {
      if (refusedSessions.current.has(refused)) return;
      refusedSessions.current.add(refused);
      if (refused.source === 'embedded') {
        refusedEmbedTokens.current.add(refused.token);
        embeddedRefused();
      }
      signOut(refused, 'Your token was refused: it expired or is not valid here. Sign in again.');
      // The server may have restarted with a new development token: ask once more.
      if (refused.source === 'development') load();
    },
    [embeddedRefused, signOut, load],
  );

  const client = useMemo(
    () =>
      session
        ? createApiClient({
            token: session.token,
            onUnauthorized: () => onUnauthorized(session),
            onAccepted: () => {
              embeddedRefusals.current = 0;
              setEmbedFailure(false);
            },
          })
        : null,
    [session, onUnauthorized],
  );

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
    if (embedded && embedFailure)
      return (
        <main id="main" className="centered">
          <h1>API Keys</h1>
          <p className="notice" role="alert">
            The page showing this console handed it {EMBEDDED_REFUSALS} tokens in a row that the service refused. Reload the page to try again; if it keeps happening, the platform
            signs its tokens with a secret or permissions this service does not accept.
          </p>
        </main>
      );
    if (embedded && embedSilent)
      return (
        <main id="main" className="centered">
          <h1>API Keys</h1>
          <p className="notice" role="alert">
            The page showing this console has not handed it a token. It must answer the console's “ready” message (README, Embedding the console).
          </p>
        </main>
      );
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
