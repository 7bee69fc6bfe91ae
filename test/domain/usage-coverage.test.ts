import { describe, expect, it } from 'vitest';
import { coverRange } from '../../src/usage/usage-coverage';
import { DAY_MS, HOUR_MS } from '../../src/usage/usage-periods';

const D = Date.parse('2026-03-01T00:00:00Z');

describe('which resolution answers which part of a range', () => {
  it('with nothing closed, everything comes from windows', () => {
    expect(coverRange(D, D + 2 * DAY_MS, 'DAY', null)).toEqual([{ tier: 'MINUTE', from: D, to: D + 2 * DAY_MS }]);
  });

  it('complete days from daily summaries, closed hours of the open day from hourly ones, the rest from windows', () => {
    const closed = D + DAY_MS + 5 * HOUR_MS;
    expect(coverRange(D, D + 2 * DAY_MS, 'DAY', closed)).toEqual([
      { tier: 'DAY', from: D, to: D + DAY_MS },
      { tier: 'HOUR', from: D + DAY_MS, to: closed },
      { tier: 'MINUTE', from: closed, to: D + 2 * DAY_MS },
    ]);
  });

  it('never coarser than asked: an hourly series reads hours and windows only', () => {
    const closed = D + DAY_MS + 5 * HOUR_MS;
    expect(coverRange(D, D + 2 * DAY_MS, 'HOUR', closed)).toEqual([
      { tier: 'HOUR', from: D, to: closed },
      { tier: 'MINUTE', from: closed, to: D + 2 * DAY_MS },
    ]);
    expect(coverRange(D, D + HOUR_MS, 'MINUTE', closed)).toEqual([{ tier: 'MINUTE', from: D, to: D + HOUR_MS }]);
  });

  it('ragged ends are read at the finer resolution that has them whole', () => {
    const closed = D + 3 * DAY_MS;
    const from = D + 10 * HOUR_MS + 30 * 60_000;
    const to = D + 2 * DAY_MS + 2 * HOUR_MS;
    expect(coverRange(from, to, 'DAY', closed)).toEqual([
      { tier: 'MINUTE', from, to: D + 11 * HOUR_MS },
      { tier: 'HOUR', from: D + 11 * HOUR_MS, to: D + DAY_MS },
      { tier: 'DAY', from: D + DAY_MS, to: D + 2 * DAY_MS },
      { tier: 'HOUR', from: D + 2 * DAY_MS, to },
    ]);
  });

  it('an empty range needs nothing', () => {
    expect(coverRange(D, D, 'DAY', D + DAY_MS)).toEqual([]);
  });
});
