import { useEffect, useState } from 'react';

// Where the user is, in the URL's fragment: #/projects/<project>/keys, …/keys/<key id>,
// …/audit. Only ids go there, never a token or a secret. The fragment keeps the page at
// one path, so the service needs no route per view and links survive a reload.

export type Route = { view: 'keys'; projectId: string } | { view: 'key'; projectId: string; keyId: string } | { view: 'audit'; projectId: string } | { view: 'home' };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(safeDecode);
  if (parts[0] !== 'projects' || !parts[1]) return { view: 'home' };
  const projectId = parts[1];
  if (parts[2] === 'audit') return { view: 'audit', projectId };
  if (parts[2] === 'keys' && parts[3]) return { view: 'key', projectId, keyId: parts[3] };
  return { view: 'keys', projectId };
}

export function hrefOf(route: Route): string {
  if (route.view === 'home') return '#/';
  const base = `#/projects/${encodeURIComponent(route.projectId)}`;
  if (route.view === 'audit') return `${base}/audit`;
  if (route.view === 'key') return `${base}/keys/${encodeURIComponent(route.keyId)}`;
  return `${base}/keys`;
}

/** Goes to `route`; `replace`: in place of the current history entry (a redirect, not a step Back returns to). */
export function navigate(route: Route, { replace = false } = {}): void {
  if (replace) window.location.replace(hrefOf(route));
  else window.location.hash = hrefOf(route);
}

// Each history entry the console has shown carries its position in the tab's history
// (history.state.consolePosition), so that a Back or Forward the user takes back ("stay",
// below) can be undone by stepping the same distance the other way, leaving history as it was.

/** What a page being left would lose, asked about before the route changes; null: nothing. */
let leaveWarning: string | null = null;
let shownHash = '';
let shownPosition = 0;

function positionOf(state: unknown): number | null {
  const position = (state as { consolePosition?: unknown } | null)?.consolePosition;
  return typeof position === 'number' ? position : null;
}

/** Marks the current entry with its position (a new entry: one after the entry it was made from). */
function markShown(): void {
  let position = positionOf(history.state);
  if (position === null) {
    position = shownHash === '' ? 0 : shownPosition + 1;
    history.replaceState({ ...(history.state ?? {}), consolePosition: position }, '');
  }
  shownPosition = position;
  shownHash = window.location.hash;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    // Mounted again after signing in: the address may have changed meanwhile.
    markShown();
    setRoute(parseRoute(shownHash));
    const update = () => {
      if (window.location.hash === shownHash) return markShown();
      // Back, a link or the project switcher while a secret is still on screen: ask, and on
      // "stay" step back to the entry shown (the view never changed: the secret is still there).
      if (leaveWarning !== null && !window.confirm(leaveWarning)) {
        const position = positionOf(history.state);
        if (position === null) history.back();
        else history.go(shownPosition - position);
        return;
      }
      markShown();
      setRoute(parseRoute(shownHash));
    };
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/**
 * While `warning` is set, leaving the view asks first: a route change by confirm(), a
 * reload or closing the tab by the browser's own question.
 */
export function useLeaveWarning(warning: string | null): void {
  useEffect(() => {
    if (warning === null) return;
    leaveWarning = warning;
    const onUnload = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', onUnload);
    return () => {
      leaveWarning = null;
      window.removeEventListener('beforeunload', onUnload);
    };
  }, [warning]);
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
