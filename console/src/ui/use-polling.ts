import { useEffect, useRef } from 'react';

/** Calls `refresh` every `ms` while the tab is visible and `active`, and at once when the tab becomes visible again. */
export function usePolling(refresh: () => void, ms: number, active: boolean): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, ms);
    const onVisible = () => document.visibilityState === 'visible' && latest.current();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ms, active]);
}
