import { describe, expect, it } from 'vitest';
import { announcedTime, MAX_CLOCK_LEAD_MS } from '../../src/store/change-notifications';

// Anyone who can connect to PostgreSQL can send a NOTIFY: the recorded time other
// instances announce moves this instance's clock only when it is believable.

describe('the recorded time a notification announces', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('is believed when it is epoch milliseconds no more than a minute ahead', () => {
    expect(announcedTime(String(now - 5000), now)).toBe(now - 5000);
    expect(announcedTime(String(now + MAX_CLOCK_LEAD_MS), now)).toBe(now + MAX_CLOCK_LEAD_MS);
  });
  it.each([
    ['far in the future (a fast clock, or a forged NOTIFY)', String(now + MAX_CLOCK_LEAD_MS + 1)],
    ['past what a Date can hold', '1e20'],
    ['year 10000', '253402300800000'],
    ['not a number', 'NaN'],
    ['negative', '-1'],
    ['empty', ''],
    ['a key id (the old payload)', '3f2a9c1e-0000-4000-8000-000000000000'],
  ])('is ignored when %s', (_case, payload) => {
    expect(announcedTime(payload, now)).toBeNull();
  });
});
