import { useEffect, useState } from 'react';

// Where the user is, in the URL's fragment: #/projects/<project>/keys, …/keys/<key id>,
// …/audit. Only ids go there, never a token or a secret. The fragment keeps the page at
// one path, so the service needs no route per view and links survive a reload.

export type Route = { view: 'keys'; projectId: string } | { view: 'key'; projectId: string; keyId: string } | { view: 'audit'; projectId: string } | { view: 'home' };

export function parseRoute(hash: string): Route {
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

export function navigate(route: Route): void {
  window.location.hash = hrefOf(route);
}

/** What a page being left would lose, asked about before the route changes; null: nothing. */
let leaveWarning: string | null = null;
let shownHash = window.location.hash;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => {
      if (window.location.hash === shownHash) return;
      // Back, a link or the project switcher while a secret is still on screen: ask, and on
      // "stay" put the address back (the view never changed, so the secret is still there).
      if (leaveWarning !== null && !window.confirm(leaveWarning)) {
        history.replaceState(history.state, '', shownHash || window.location.pathname);
        return;
      }
      shownHash = window.location.hash;
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
