import { z } from 'zod';
import { ValidationError } from '../domain/errors';
import { containsSecretLike, ENVIRONMENT_PATTERN } from '../secrets/api-key-secret';

// Input rules, applied before any command is decided so rejected input writes nothing.
// Text is NFC-normalised and trimmed; lengths count Unicode code points, so emoji and
// right-to-left scripts are stored as sent and measured as a person would count them.

const CONTROL_CHARACTERS = /\p{Cc}/u;
const codePoints = (text: string) => [...text].length;

const text = (field: string, max: number) =>
  z
    .string()
    .transform((value) => value.normalize('NFC').trim())
    .refine((value) => !CONTROL_CHARACTERS.test(value), `${field} must not contain control characters`)
    .refine((value) => codePoints(value) <= max, `${field} must be at most ${max} characters`)
    // Names and reasons are kept for good in the log and shown to everyone who reads
    // it: a secret pasted here by mistake must not be stored (nor quoted back).
    .refine((value) => !containsSecretLike(value), `${field} must not contain an API key secret`);

export const keyName = text('name', 100).refine((value) => value.length > 0, 'name must not be empty');

/** Empty or absent means no reason given. */
export const reason = text('reason', 500)
  .nullish()
  .transform((value) => (value ? value : null));

/** The platform's own project id: opaque to us, but kept to characters safe in URLs and logs. */
export const projectId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'projectId must be 1-128 letters, digits, or . _ : - and start with a letter or digit');

export const environment = z.string().regex(ENVIRONMENT_PATTERN, 'environment must be 2-16 lowercase letters or digits, starting with a letter (for example live, test, staging)');

/** Keys live at most this long; a later expiry is almost certainly a mistake (or a year typed wrong). */
export const MAX_KEY_LIFETIME_DAYS = 3650;
export const MAX_GRACE_PERIOD_SECONDS = 30 * 24 * 3600;

/** GraphQL's Int: a larger number can only come from a caller of the command itself. */
export const MAX_EXPECTED_VERSION = 2 ** 31 - 1;

/** The key's version the caller last saw; absent or null means act on the key as it is. */
export const expectedVersion = z
  .number()
  .int('expectedVersion must be a whole number')
  .min(0, 'expectedVersion must not be negative')
  .max(MAX_EXPECTED_VERSION, `expectedVersion must be at most ${MAX_EXPECTED_VERSION}`)
  .nullish()
  .transform((value) => value ?? null);

export const generateKeyInput = z.object({ projectId, name: keyName, environment, expiresAt: z.date().nullish() });
export const changeKeyInput = z.object({ reason, expectedVersion });
export const rollKeyInput = z.object({
  gracePeriodSeconds: z
    .number()
    .int('gracePeriodSeconds must be a whole number')
    .min(0, 'gracePeriodSeconds must not be negative')
    .max(MAX_GRACE_PERIOD_SECONDS, `gracePeriodSeconds must be at most ${MAX_GRACE_PERIOD_SECONDS} (30 days)`),
  expiresAt: z.date().nullish(),
  reason,
  expectedVersion,
});

/**
 * An expiry must lie after `now` and within the longest lifetime. Checked apart
 * from the schemas above, which are built once: they cannot know the clock.
 */
export function checkExpiry(expiresAt: Date | null | undefined, now: Date, path = 'input.expiresAt'): string | null {
  if (!expiresAt) return null;
  if (expiresAt.getTime() <= now.getTime()) throw new ValidationError([{ path, message: 'expiresAt must be in the future' }]);
  if (expiresAt.getTime() > now.getTime() + MAX_KEY_LIFETIME_DAYS * 86_400_000) {
    throw new ValidationError([{ path, message: `expiresAt must be within ${MAX_KEY_LIFETIME_DAYS} days` }]);
  }
  return expiresAt.toISOString();
}

/** Parses with a zod schema, turning its issues into our ValidationError. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, pathPrefix = 'input'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((issue) => ({ path: [pathPrefix, ...issue.path].join('.'), message: issue.message })));
}
