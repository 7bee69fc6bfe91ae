/**
 * Cancel and the dialog's submit button. While the request runs the button stays
 * focusable (aria-busy, not disabled: disabling the focused button would drop focus).
 */
export function DialogActions({
  submit,
  tone = 'primary',
  busy,
  disabled = false,
  onCancel,
}: {
  submit: string;
  tone?: 'primary' | 'danger';
  busy: boolean;
  disabled?: boolean;
  onCancel(): void;
}) {
  return (
    <div className="dialog-actions">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className={tone} aria-busy={busy} disabled={disabled}>
        {submit}
      </button>
    </div>
  );
}
