import { describe, expect, it } from 'vitest';
import { addUse, mergeTally, newTally, usageEvent } from '../../src/domain/usage-tally';

const t = (second: number) => Date.parse('2026-05-01T00:00:00Z') + second * 1000;
const iso = (second: number) => new Date(t(second)).toISOString();

describe('usage tallies: many verifications become one KeyUsed per key and window', () => {
  it('counts, keeps first and last times, counts by outcome and remembers the last refusal', () => {
    const tally = newTally('k', 'p', 'gateway', t(5));
    addUse(tally, 'VALID', t(5));
    addUse(tally, 'VALID', t(7));
    addUse(tally, 'INACTIVE', t(6));
    addUse(tally, 'DELETED', t(9));
    addUse(tally, 'VALID', t(3)); // arrives late, but happened first
    expect(usageEvent(tally)).toEqual({
      type: 'KeyUsed',
      data: {
        keyId: 'k',
        projectId: 'p',
        count: 5,
        firstAt: iso(3),
        lastAt: iso(9),
        outcomes: { VALID: 3, INACTIVE: 1, DELETED: 1 },
        lastValidAt: iso(7),
        lastRejectedAt: iso(9),
        lastRejectedCode: 'DELETED',
      },
    });
  });

  it('a window with only refusals has no last valid use', () => {
    const tally = newTally('k', 'p', 'gateway', t(1));
    addUse(tally, 'INACTIVE', t(1));
    expect(usageEvent(tally).data).toMatchObject({ count: 1, lastValidAt: null, lastRejectedCode: 'INACTIVE' });
  });

  it('merging two tallies equals one tally of all their uses', () => {
    const uses = [['VALID', 4], ['INACTIVE', 2], ['VALID', 8], ['DELETED', 6], ['VALID', 1]] as const;
    const whole = newTally('k', 'p', 'a', t(4));
    for (const [outcome, second] of uses) addUse(whole, outcome, t(second));
    const first = newTally('k', 'p', 'a', t(4));
    const second = newTally('k', 'p', 'a', t(6));
    uses.forEach(([outcome, s], index) => addUse(index < 2 ? first : second, outcome, t(s)));
    mergeTally(first, second);
    expect(usageEvent(first)).toEqual(usageEvent(whole));
  });
});
