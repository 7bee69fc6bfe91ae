import { Field, issueAt } from '../ui/field';

/** The optional reason every change of a key may carry, with the API's message for it. */
export function ReasonField({
  value,
  onChange,
  issues,
  autoFocus = false,
}: {
  value: string;
  onChange(next: string): void;
  issues: { path: string; message: string }[] | undefined;
  autoFocus?: boolean;
}) {
  return (
    <Field label="Reason (optional)" hint="Shown in the key’s history and the audit log." error={issueAt(issues, 'input.reason')}>
      <input value={value} onChange={(event) => onChange(event.target.value)} maxLength={600} data-autofocus={autoFocus || undefined} />
    </Field>
  );
}
