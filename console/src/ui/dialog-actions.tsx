/**
 * Cancel and the dialog's submit button. While the request runs both stay focusable
 * (aria-busy and aria-disabled, not disabled: disabling the focused button would drop focus).
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
      {/* Not while the request runs: it completes anyway, and a new key's secret would be lost. */}
      <button type="button" aria-disabled={busy} onClick={() => !busy && onCancel()}>
        Cancel
      </button>
      <button type="submit" className={tone} aria-busy={busy} disabled={disabled}>
        {submit}
      </button>
    </div>
  );
}
