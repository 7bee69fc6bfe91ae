import { useId, useState, useSyncExternalStore } from 'react';
import { formatExact, formatRelative } from './format';

/**
 * "5 minutes ago", with the exact time shown on hover and on keyboard focus (a CSS
 * tooltip from data-exact; title alone never shows on focus), and given to screen
 * readers as the element's description.
 */
export function RelativeTime({ value, never = 'Never' }: { value: string | null; never?: string }) {
  if (!value) return <span className="muted">{never}</span>;
  return <TickingTime value={value} />;
}

function TickingTime({ value }: { value: string }) {
  const now = useNow();
  const id = useId();
  const exact = formatExact(value);
  return (
    <>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: focusable so keyboard users can see the exact time too */}
      <time className="has-tooltip" dateTime={value} data-exact={exact} tabIndex={0} aria-describedby={id}>
        {formatRelative(value, now)}
      </time>
      <span id={id} hidden>
        {exact}
      </span>
    </>
  );
}

// One clock for every relative time on the page: a single interval, running while any is shown.
const TICK_MS = 30_000;
const listeners = new Set<() => void>();
let clockNow = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (listeners.size === 1) {
    timer = setInterval(() => {
      clockNow = Date.now();
      for (const notify of listeners) notify();
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    clearInterval(timer);
    timer = undefined;
  };
}

function readClock(): number {
  return clockNow;
}

/**
 * The time to measure from, moving every 30 s so relative times stay true without a
 * reload. The shared clock may have last ticked before this time was shown: it starts
 * from its own first render, as exact as a fresh reading.
 */
function useNow(): number {
  const [shownAt] = useState(Date.now);
  const ticked = useSyncExternalStore(subscribe, readClock);
  return Math.max(shownAt, ticked);
}
