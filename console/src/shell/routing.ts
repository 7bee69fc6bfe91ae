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

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
