import { describe, expect, it } from 'vitest';
import { generateSecret, hashSecret, maskSecret, parseSecret } from '../../src/secrets/api-key-secret';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('API key secrets', () => {
  it('names the environment in a recognisable prefix and carries 256 random bits', () => {
    const { secret } = generateSecret('live');
    expect(secret).toMatch(/^ak_live_[0-9A-Za-z]{43}[0-9A-Za-z]{6}$/);
    expect(generateSecret('test').secret.startsWith('ak_test_')).toBe(true);
    // 43 base62 characters hold log2(62^43) ≈ 256.0 bits: the body must never be shorter.
  });

  it('parses what it generates, and the checksum holds', () => {
    for (let i = 0; i < 200; i++) {
      const { secret } = generateSecret('staging');
      expect(parseSecret(secret)).toEqual({ environment: 'staging' });
    }
  });

  it('rejects any single-character change through the checksum', () => {
    const { secret } = generateSecret('live');
    const start = 'ak_live_'.length;
    for (let i = start; i < secret.length; i++) {
      const replacement = BASE62[(BASE62.indexOf(secret[i]!) + 1 + (i % 60)) % 62]!;
      const typo = secret.slice(0, i) + replacement + secret.slice(i + 1);
      expect(parseSecret(typo), `change at ${i}`).toBeNull();
    }
  });

  it('rejects other shapes without looking anything up', () => {
    const { secret } = generateSecret('live');
    for (const candidate of ['', 'ak_live_', secret.slice(0, -1), `${secret}x`, secret.replace('ak_', 'sk_'), 'x'.repeat(10_000)]) {
      expect(parseSecret(candidate)).toBeNull();
    }
  });

  it('never produces the same secret twice and stores only a SHA-256 hex hash', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateSecret('live').secret));
    expect(secrets.size).toBe(1000);
    const { secret, secretHash } = generateSecret('live');
    expect(secretHash).toBe(hashSecret(secret));
    expect(secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('masks to the prefix and the first and last four characters', () => {
    const { secret, maskedKey } = generateSecret('live');
    expect(maskedKey).toBe(maskSecret(secret));
    expect(maskedKey).toBe(`ak_live_${secret.slice(8, 12)}…${secret.slice(-4)}`);
  });
});
