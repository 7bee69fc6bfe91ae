import { useCallback, useEffect, useRef, useState } from 'react';

/** Gathers the events that arrive within this long into one announcement. */
const GATHER_MS = 600;

/**
 * "1 new event", "3 new events" for a polite live region. The text is emptied before
 * each announcement, so the same words twice in a row are read twice.
 */
export function useAnnouncer() {
  const [announcement, setAnnouncement] = useState('');
  const pending = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => () => clearTimeout(timer.current), []);

  const announce = useCallback((count: number) => {
    pending.current += count;
    if (timer.current !== undefined) return;
    setAnnouncement('');
    timer.current = setTimeout(() => {
      const total = pending.current;
      pending.current = 0;
      timer.current = undefined;
      setAnnouncement(`${total} new event${total === 1 ? '' : 's'}`);
    }, GATHER_MS);
  }, []);

  return { announcement, announce };
}
