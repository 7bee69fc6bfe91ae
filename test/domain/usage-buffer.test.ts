import { describe, expect, it } from 'vitest';
import type { UsageOutcome } from '../../events/key-events';
import { MERGED_PRINCIPALS } from '../../events/usage-events';
import { type BufferedUsage, UsageBuffer } from '../../src/domain/usage-buffer';

// The in-memory side of usage: many verifications become one record per window,
// key and principal; a failed write loses nothing; a full buffer merges, then drops.

const WINDOW = 60_000;
const START = Date.parse('2026-05-01T00:00:00Z');
/** A time `second` seconds into window `window`. */
const t = (window: number, second = 0) => START + window * WINDOW + second * 1000;
const w = (window: number) => START + window * WINDOW;

const byWindowKeyPrincipal = (a: BufferedUsage, b: BufferedUsage) => a.windowStart - b.windowStart || a.keyId.localeCompare(b.keyId) || a.principal.localeCompare(b.principal);
const sorted = (tallies: BufferedUsage[]) => [...tallies].sort(byWindowKeyPrincipal);
const counts = (tallies: BufferedUsage[]) =>
  sorted(tallies).map(({ windowStart, keyId, principal, total }) => ({ window: (windowStart - START) / WINDOW, keyId, principal, total }));

function record(buffer: UsageBuffer, uses: [key: string, principal: string, outcome: UsageOutcome, at: number][]): boolean[] {
  return uses.map(([key, principal, outcome, at]) => buffer.add(key, 'proj', principal, outcome, at));
}

describe('usage buffer: counting', () => {
  it('given uses of one key by one principal in one window, take() returns one record with counts by outcome and the latest times', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    record(buffer, [
      ['k', 'gw', 'VALID', t(0, 5)],
      ['k', 'gw', 'VALID', t(0, 7)],
      ['k', 'gw', 'INACTIVE', t(0, 6)],
      ['k', 'gw', 'DELETED', t(0, 9)],
      ['k', 'gw', 'VALID', t(0, 3)], // arrives late, but happened first
      ['k', 'gw', 'EXPIRED', t(0, 8)], // a rejection older than the latest one
    ]);

    expect(buffer.take()).toEqual([
      {
        keyId: 'k',
        projectId: 'proj',
        principal: 'gw',
        windowStart: w(0),
        total: 6,
        valid: 3,
        inactive: 1,
        expired: 1,
        deleted: 1,
        lastValidAt: t(0, 7),
        lastRejectedAt: t(0, 9),
        lastRejectedCode: 'DELETED',
      },
    ]);
    expect(buffer.size).toBe(0);
    expect(buffer.take()).toEqual([]);
  });

  it('given uses across windows, principals and keys, each (window, key, principal) is a record of its own', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    record(buffer, [
      ['a', 'gw1', 'VALID', t(0, 1)],
      ['a', 'gw1', 'VALID', t(0, 59.999)],
      ['a', 'gw1', 'VALID', t(1)], // the first millisecond of the next window
      ['a', 'gw2', 'VALID', t(0, 2)],
      ['b', 'gw1', 'INACTIVE', t(0, 3)],
    ]);
    expect(buffer.size).toBe(4);
    expect(counts(buffer.take())).toEqual([
      { window: 0, keyId: 'a', principal: 'gw1', total: 2 },
      { window: 0, keyId: 'a', principal: 'gw2', total: 1 },
      { window: 0, keyId: 'b', principal: 'gw1', total: 1 },
      { window: 1, keyId: 'a', principal: 'gw1', total: 1 },
    ]);
  });

  it('a window with only rejections has no last valid use, one with only valid uses no rejection', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    record(buffer, [
      ['refused', 'gw', 'INACTIVE', t(0, 1)],
      ['accepted', 'gw', 'VALID', t(0, 1)],
    ]);
    const [accepted, refused] = sorted(buffer.take());
    expect(refused).toMatchObject({ total: 1, lastValidAt: null, lastRejectedAt: t(0, 1), lastRejectedCode: 'INACTIVE' });
    expect(accepted).toMatchObject({ total: 1, lastValidAt: t(0, 1), lastRejectedAt: null, lastRejectedCode: null });
  });

  it('keys and principals named like Object.prototype members are counted like any other', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    record(buffer, [
      ['__proto__', 'constructor', 'VALID', t(0)],
      ['__proto__', 'constructor', 'VALID', t(0)],
      ['toString', '__proto__', 'VALID', t(0)],
    ]);
    expect(counts(buffer.take())).toEqual([
      { window: 0, keyId: '__proto__', principal: 'constructor', total: 2 },
      { window: 0, keyId: 'toString', principal: '__proto__', total: 1 },
    ]);
  });
});

describe('usage buffer: take only some keys, put back what failed', () => {
  it('take({keys}) removes those keys in every window and leaves the rest', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    record(buffer, [
      ['a', 'gw', 'VALID', t(0)],
      ['a', 'gw', 'VALID', t(1)],
      ['b', 'gw', 'VALID', t(0)],
      ['c', 'gw', 'VALID', t(1)],
    ]);
    expect(counts(buffer.take({ keys: new Set(['a', 'c', 'unknown']) }))).toEqual([
      { window: 0, keyId: 'a', principal: 'gw', total: 1 },
      { window: 1, keyId: 'a', principal: 'gw', total: 1 },
      { window: 1, keyId: 'c', principal: 'gw', total: 1 },
    ]);
    expect(buffer.size).toBe(1);
    expect(counts(buffer.take())).toEqual([{ window: 0, keyId: 'b', principal: 'gw', total: 1 }]);
  });

  it('given a failed write put back, and newer uses of the same window, key and principal, the next take holds their sum', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    record(buffer, [
      ['k', 'gw', 'VALID', t(0, 1)],
      ['k', 'gw', 'INACTIVE', t(0, 2)],
    ]);
    const failed = buffer.take();
    record(buffer, [
      ['k', 'gw', 'VALID', t(0, 3)],
      ['k', 'other', 'VALID', t(0, 4)],
    ]);

    buffer.putBack(failed);

    expect(sorted(buffer.take())).toEqual([
      expect.objectContaining({ principal: 'gw', total: 3, valid: 2, inactive: 1, lastValidAt: t(0, 3), lastRejectedAt: t(0, 2), lastRejectedCode: 'INACTIVE' }),
      expect.objectContaining({ principal: 'other', total: 1 }),
    ]);
  });

  it('putting back records that carry an instance (as written) keeps them as they were, without it', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    record(buffer, [['k', 'gw', 'EXPIRED', t(0, 1)]]);
    const [taken] = buffer.take();
    buffer.putBack([{ ...taken!, instance: 'i-1' } as BufferedUsage]);
    expect(buffer.take()).toEqual([taken]);
  });
});

describe('usage buffer: a hard cap on tallies', () => {
  it('given a full buffer, a new tally first merges each key into one (principal *, newest window, counts summed, latest times)', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW, maxTallies: 4 });
    record(buffer, [
      ['a', 'gw1', 'VALID', t(0, 1)],
      ['a', 'gw2', 'INACTIVE', t(0, 30)],
      ['a', 'gw1', 'VALID', t(1, 10)],
      ['b', 'gw1', 'EXPIRED', t(0, 5)],
    ]);
    expect(buffer.compactions).toBe(0);

    record(buffer, [['c', 'gw1', 'VALID', t(1, 20)]]);

    expect(buffer.compactions).toBe(1);
    expect(buffer.dropped).toBe(0);
    expect(buffer.size).toBe(3);
    expect(sorted(buffer.take())).toEqual([
      {
        keyId: 'b',
        projectId: 'proj',
        principal: MERGED_PRINCIPALS,
        windowStart: w(0),
        total: 1,
        valid: 0,
        inactive: 0,
        expired: 1,
        deleted: 0,
        lastValidAt: null,
        lastRejectedAt: t(0, 5),
        lastRejectedCode: 'EXPIRED',
      },
      {
        keyId: 'a',
        projectId: 'proj',
        principal: MERGED_PRINCIPALS,
        windowStart: w(1),
        total: 3,
        valid: 2,
        inactive: 1,
        expired: 0,
        deleted: 0,
        lastValidAt: t(1, 10),
        lastRejectedAt: t(0, 30),
        lastRejectedCode: 'INACTIVE',
      },
      {
        keyId: 'c',
        projectId: 'proj',
        principal: 'gw1',
        windowStart: w(1),
        total: 1,
        valid: 1,
        inactive: 0,
        expired: 0,
        deleted: 0,
        lastValidAt: t(1, 20),
        lastRejectedAt: null,
        lastRejectedCode: null,
      },
    ]);
  });

  it('given a full buffer of one tally per key, uses of a held key join its tally and uses of other keys are dropped and counted', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW, maxTallies: 2 });
    record(buffer, [
      ['a', 'gw1', 'VALID', t(0)],
      ['b', 'gw1', 'VALID', t(0)],
    ]);

    const quiet = record(buffer, [
      ['a', 'gw2', 'VALID', t(0, 1)], // another principal: a's tally now stands for all of them
      ['a', 'gw1', 'VALID', t(2, 1)], // a later window: the merged tally moves to it
      ['c', 'gw1', 'VALID', t(2, 2)],
      ['d', 'gw1', 'VALID', t(2, 3)],
      ['d', 'gw1', 'VALID', t(2, 4)],
    ]);

    expect(quiet).toEqual([false, false, false, false, false]);
    expect(buffer.size).toBe(2);
    expect(buffer.dropped).toBe(3);
    expect(buffer.takeDropped()).toBe(3);
    expect(buffer.dropped).toBe(0);
    expect(counts(buffer.take())).toEqual([
      { window: 0, keyId: 'b', principal: 'gw1', total: 1 },
      { window: 2, keyId: 'a', principal: MERGED_PRINCIPALS, total: 3 },
    ]);
  });

  it('a merged key stays merged until taken: its further uses never make a new tally, so the buffer does not compact again and again', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW, maxTallies: 3 });
    record(buffer, [
      ['a', 'gw1', 'VALID', t(0)],
      ['a', 'gw2', 'VALID', t(0)],
      ['b', 'gw1', 'VALID', t(0)],
      ['c', 'gw1', 'VALID', t(0)], // compaction: a and b merged, c added
    ]);
    for (let i = 0; i < 100; i++) {
      record(buffer, [
        ['a', `gw-${i}`, 'VALID', t(0, 1)],
        ['b', `gw-${i}`, 'VALID', t(0, 1)],
        [`new-${i}`, 'gw', 'VALID', t(0, 1)],
      ]);
    }
    expect(buffer.compactions).toBe(1);
    expect(buffer.size).toBe(3);
    expect(counts(buffer.take())).toEqual([
      { window: 0, keyId: 'a', principal: MERGED_PRINCIPALS, total: 102 },
      { window: 0, keyId: 'b', principal: MERGED_PRINCIPALS, total: 101 },
      { window: 0, keyId: 'c', principal: 'gw1', total: 1 },
    ]);
    expect(buffer.takeDropped()).toBe(100);
  });

  it('given a failed write put back into a buffer that has filled meanwhile, counts are merged per key and only what fits nowhere is dropped', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW, maxTallies: 3 });
    record(buffer, [
      ['a', 'gw1', 'VALID', t(0)],
      ['a', 'gw2', 'VALID', t(0)],
      ['b', 'gw1', 'VALID', t(0)],
    ]);
    const failed = buffer.take();
    record(buffer, [
      ['a', 'gw3', 'VALID', t(1)],
      ['c', 'gw1', 'VALID', t(1)],
      ['d', 'gw1', 'VALID', t(1)],
    ]);

    buffer.putBack(failed);

    // a (3 uses) fits by merging with its newer tally; b arrived with no room and no tally to join.
    expect(buffer.compactions).toBe(0);
    expect(buffer.takeDropped()).toBe(1);
    expect(counts(buffer.take())).toEqual([
      { window: 1, keyId: 'a', principal: MERGED_PRINCIPALS, total: 3 },
      { window: 1, keyId: 'c', principal: 'gw1', total: 1 },
      { window: 1, keyId: 'd', principal: 'gw1', total: 1 },
    ]);
  });

  it('holds at most maxTallies, however many keys, principals and windows are used', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW, maxTallies: 50 });
    let uses = 0;
    for (let i = 0; i < 5000; i++) {
      buffer.add(`key-${i % 80}`, 'proj', `principal-${i % 7}`, 'VALID', t(i % 3, i % 60));
      uses++;
      expect(buffer.size).toBeLessThanOrEqual(50);
    }
    const kept = buffer.take().reduce((sum, tally) => sum + tally.total, 0);
    expect(kept + buffer.takeDropped()).toBe(uses);
  });
});

describe('usage buffer: quiet keys (worth writing at once)', () => {
  it("a key's first use is quiet; its further uses in the buffer are not", () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    expect(
      record(buffer, [
        ['k', 'gw1', 'VALID', t(0, 1)],
        ['k', 'gw1', 'VALID', t(0, 2)],
        ['k', 'gw2', 'VALID', t(0, 3)], // a new tally, but not the key's first use
        ['k', 'gw1', 'VALID', t(1, 1)],
        ['other', 'gw1', 'VALID', t(1, 1)],
      ]),
    ).toEqual([true, false, false, false, true]);
  });

  it('after a key is taken, its next use is not quiet in the same window or the next, and is once a whole window passed without one', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    record(buffer, [['k', 'gw', 'VALID', t(0, 1)]]);
    buffer.take({ keys: new Set(['k']) });
    expect(buffer.add('k', 'proj', 'gw', 'VALID', t(0, 2))).toBe(false); // written moments ago

    buffer.take();
    expect(buffer.add('k', 'proj', 'gw', 'VALID', t(1, 30))).toBe(false); // written in the previous window

    buffer.take();
    expect(buffer.add('k', 'proj', 'gw', 'VALID', t(3, 0))).toBe(true); // window 2 had no use
  });

  it('a key put back after a failed write is in the buffer: its next use is not quiet', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    record(buffer, [['k', 'gw', 'VALID', t(0, 1)]]);
    buffer.putBack(buffer.take());
    expect(buffer.add('k', 'proj', 'gw2', 'VALID', t(5))).toBe(false);
  });

  it('a dropped use is not quiet (it is not in the buffer to be written)', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW, maxTallies: 1 });
    record(buffer, [['a', 'gw', 'VALID', t(0)]]);
    expect(buffer.add('b', 'proj', 'gw', 'VALID', t(0))).toBe(false);
    expect(buffer.dropped).toBe(1);
  });

  it('keys taken long ago are forgotten when the buffer is taken, so what it remembers stays bounded', () => {
    const buffer = new UsageBuffer({ windowMs: WINDOW });
    for (let window = 0; window < 50; window++) {
      for (let key = 0; key < 100; key++) buffer.add(`w${window}-k${key}`, 'proj', 'gw', 'VALID', t(window));
      buffer.take();
    }
    // Only the keys of the newest windows are remembered (what a use now could still be compared with).
    expect((buffer as unknown as { lastTaken: Map<string, number> }).lastTaken.size).toBeLessThanOrEqual(200);
    // And a key taken in window 0 is quiet again.
    expect(buffer.add('w0-k0', 'proj', 'gw', 'VALID', t(50))).toBe(true);
  });
});
