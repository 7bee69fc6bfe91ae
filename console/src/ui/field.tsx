import { cloneElement, type ReactElement, useId } from 'react';

/**
 * A labelled control with its hint and the API's message for it, tied together for
 * screen readers (aria-describedby, aria-invalid). `children` is the one control.
 */
export function Field({ label, hint, error, children }: { label: string; hint?: string; error?: string | null; children: ReactElement<Record<string, unknown>> }) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="field-error">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
    </div>
  );
}

/** The message of a ValidationError issue at `path` (input.name…), if any. */
export function issueAt(issues: { path: string; message: string }[] | undefined, path: string): string | null {
  return issues?.find((issue) => issue.path === path)?.message ?? null;
}
