/**
 * A wall clock that never goes backwards. Expiry is judged against it: if the
 * machine's clock steps back (NTP correction, a VM restored from a snapshot), a key
 * that has expired must not come back to life. It never reads earlier than the last
 * time it gave, nor than times it is told were already recorded (the log's head).
 */
export interface MonotonicClock {
  (): number;
  /** A time known to have passed already (for example an event's recorded time). */
  observe(epochMs: number): void;
}

export function createMonotonicClock(wall: () => number = Date.now): MonotonicClock {
  let floor = -Infinity;
  const clock = () => {
    const now = wall();
    if (now > floor) floor = now;
    return floor;
  };
  return Object.assign(clock, {
    observe(epochMs: number) {
      if (epochMs > floor) floor = epochMs;
    },
  });
}
