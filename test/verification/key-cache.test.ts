import { describe, expect, it } from 'vitest';
import { type CachedKey, KeyCache } from '../../src/verification/key-cache';

const key = (id: string): CachedKey => ({ id, projectId: 'proj', name: id, environment: 'live', status: 'ACTIVE', expiresAtMs: null });

describe('the key cache', () => {
  it('keeps the keys in use when full, and says how many it holds', () => {
    const cache = new KeyCache(3);
    for (const id of ['a', 'b', 'c']) cache.fill(`hash-${id}`, key(id), cache.beginRead());
    expect(cache.get('hash-a')?.id).toBe('a'); // a is in use: b is now the least recently used
    cache.fill('hash-d', key('d'), cache.beginRead());
    expect(cache.size).toBe(3);
    expect(cache.get('hash-b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((id) => cache.get(`hash-${id}`)?.id)).toEqual(['a', 'c', 'd']);
  });

  it('still finds a key to invalidate after entries were pushed out, or filled twice', () => {
    const cache = new KeyCache(2);
    cache.fill('hash-a', key('a'), cache.beginRead());
    for (let i = 0; i < 1000; i++) cache.fill(`hash-${i}`, key(`k${i}`), cache.beginRead());
    cache.fill('hash-a', key('a'), cache.beginRead());
    // Two verifications that missed at once both fill the same key.
    cache.fill('hash-a', key('a'), cache.beginRead());
    cache.invalidate('a');
    expect(cache.get('hash-a')).toBeUndefined();
    expect(cache.size).toBe(1);
    // An evicted key's invalidation touches nothing else.
    cache.invalidate('k0');
    expect(cache.get('hash-999')?.id).toBe('k999');
  });

  it('drops a fill that started before an invalidation', () => {
    const cache = new KeyCache();
    const epoch = cache.beginRead();
    cache.invalidate('a');
    cache.fill('hash-a', key('a'), epoch);
    expect(cache.get('hash-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('answers nothing while distrusted, and empties itself', () => {
    const cache = new KeyCache();
    cache.fill('hash-a', key('a'), cache.beginRead());
    cache.distrust();
    expect(cache.trusted).toBe(false);
    expect(cache.size).toBe(0);
    cache.fill('hash-a', key('a'), cache.beginRead());
    expect(cache.get('hash-a')).toBeUndefined();
    // What was filled meanwhile was not kept exact: confirming starts afresh.
    cache.confirm(performance.now(), 60_000);
    expect(cache.trusted).toBe(true);
    expect(cache.size).toBe(0);
    cache.fill('hash-a', key('a'), cache.beginRead());
    expect(cache.get('hash-a')?.id).toBe('a');
  });
});
