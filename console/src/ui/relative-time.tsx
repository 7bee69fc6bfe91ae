import { useEffect, useId, useState } from 'react';
import { formatExact, formatRelative } from './format';

/**
 * "5 minutes ago", with the exact time shown on hover and on keyboard focus (a CSS
 * tooltip from data-exact; title alone never shows on focus), and given to screen
 * readers as the element's description.
 */
export function RelativeTime({ value, never = 'Never' }: { value: string | null; never?: string }) {
  const now = useNow();
  const id = useId();
  if (!value) return <span className="muted">{never}</span>;
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

/** The clock, ticking every 30 s so relative times stay true without a reload. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
