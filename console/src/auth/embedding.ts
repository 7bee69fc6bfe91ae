// The console in a frame of a platform's own page (README, "Embedding the console").
// The service lists the origins allowed to frame it (CONSOLE_EMBED_ORIGINS); the page
// answers the console's "ready" with its user's token, and again with a fresh one when
// the console says the token expired. A message from any other window or origin is ignored.

const EMBED_MESSAGES = {
  ready: 'api-keys-console:ready',
  token: 'api-keys-console:token',
  expired: 'api-keys-console:token-expired',
} as const;

export function isEmbedded(): boolean {
  return window.parent !== window;
}

interface EmbedderToken {
  token: string;
  /** The project to open, when the embedding page says. */
  projectId?: string;
}

export function listenForEmbedder(origins: readonly string[], onToken: (message: EmbedderToken) => void): () => void {
  const listener = (event: MessageEvent) => {
    if (event.source !== window.parent || !origins.includes(event.origin)) return;
    const data = event.data as { type?: unknown; token?: unknown; projectId?: unknown } | null;
    if (data?.type !== EMBED_MESSAGES.token || typeof data.token !== 'string' || data.token === '') return;
    onToken({ token: data.token, projectId: typeof data.projectId === 'string' ? data.projectId : undefined });
  };
  window.addEventListener('message', listener);
  return () => window.removeEventListener('message', listener);
}

/** Posts to the embedding page, whichever of the allowed origins it is (the browser delivers to the matching one only). */
export function tellEmbedder(origins: readonly string[], what: 'ready' | 'expired'): void {
  for (const origin of origins) window.parent.postMessage({ type: EMBED_MESSAGES[what] }, origin);
}
