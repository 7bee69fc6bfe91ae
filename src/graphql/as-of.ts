import { ValidationError } from '../domain/errors';

/** The moment a time-travel query asks about: any time up to now. */
export function parseAsOf(asOf: Date | null | undefined, now: Date): Date | null {
  if (!asOf) return null;
  if (asOf.getTime() > now.getTime()) throw new ValidationError([{ path: 'asOf', message: 'asOf must not be in the future' }]);
  return asOf;
}
