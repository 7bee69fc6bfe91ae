import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKeyInput, parseInput } from '../../src/commands/inputs';
import { ValidationError } from '../../src/domain/errors';
import { generateSecret, parseSecret } from '../../src/secrets/api-key-secret';

const CONTROL = /\p{Cc}/u;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('input validation, for any input', () => {
  it('either accepts a name as its trimmed NFC form within the rules, or rejects it with a ValidationError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 })), (name) => {
        try {
          const parsed = parseInput(generateKeyInput, { projectId: 'p', name, environment: 'live' });
          const expected = name.normalize('NFC').trim();
          expect(parsed.name).toBe(expected);
          expect([...expected].length).toBeGreaterThanOrEqual(1);
          expect([...expected].length).toBeLessThanOrEqual(100);
          expect(CONTROL.test(expected)).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          const normalized = name.normalize('NFC').trim();
          expect(normalized.length === 0 || [...normalized].length > 100 || CONTROL.test(normalized)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly the environments the documented pattern allows', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (environment) => {
        const accepted = (() => {
          try {
            parseInput(generateKeyInput, { projectId: 'p', name: 'n', environment });
            return true;
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            return false;
          }
        })();
        expect(accepted).toBe(/^[a-z][a-z0-9]{1,15}$/.test(environment));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the secret format, for any secret', () => {
  const environment = fc.stringMatching(/^[a-z][a-z0-9]{1,15}$/);

  it('round-trips: generate → parse → checksum holds, environment recovered', () => {
    fc.assert(
      fc.property(environment, (env) => {
        expect(parseSecret(generateSecret(env).secret)).toEqual({ environment: env });
      }),
      { numRuns: 500 },
    );
  });

  it('fails the checksum after any single-character change to the random part or checksum', () => {
    fc.assert(
      fc.property(environment, fc.nat(), fc.integer({ min: 1, max: 61 }), (env, at, shift) => {
        const { secret } = generateSecret(env);
        const start = `ak_${env}_`.length;
        const index = start + (at % (secret.length - start));
        const replaced = BASE62[(BASE62.indexOf(secret[index]!) + shift) % 62]!;
        expect(parseSecret(secret.slice(0, index) + replaced + secret.slice(index + 1))).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('never accepts arbitrary text as a secret', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        expect(parseSecret(text)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });
});
