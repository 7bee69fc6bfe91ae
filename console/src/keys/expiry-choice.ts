// The expiry a user picks for a new key: a preset, or a date of their own.

export const EXPIRY_CHOICES = [
  { value: 'never', label: 'Never' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 1 year' },
  { value: 'date', label: 'On a date…' },
] as const;

export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number]['value'];

/** The expiresAt to send (ISO, UTC), or undefined for never; a chosen date ends at the end of that day, local time. */
export function expiresAtFor(choice: ExpiryChoice, date: string, now = Date.now()): string | undefined {
  if (choice === 'never') return undefined;
  if (choice === 'date') {
    if (!date) return undefined;
    return new Date(`${date}T23:59:59`).toISOString();
  }
  return new Date(now + Number(choice) * 24 * 3600 * 1000).toISOString();
}
