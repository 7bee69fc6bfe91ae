import { useEffect, useId, useRef, useState } from 'react';
import { useLeaveWarning } from '../shell/routing';

/**
 * The new key's secret, shown this once: a copy button and a plain warning. The dialog
 * around it closes only once the user says they stored it. The secret lives in this
 * component's state alone, so it leaves the page with the dialog; it is never written
 * to storage, the URL or the console.
 */
export function SecretReveal({ secret, onDone }: { secret: string; onDone(): void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const [stored, setStored] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => field.current?.select(), []);
  useLeaveWarning(stored ? null : 'Leave without storing the new key? It is shown only once: nobody can show it to you again.');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      field.current?.select();
      setCopied('failed');
    }
  };

  return (
    <div className="secret-reveal">
      <p className="warning" id={`${id}-warning`}>
        <strong>Copy this key now.</strong> It is shown only once: the service keeps only a hash of it, so nobody can show it to you again. If you lose it, roll the key to get a
        new one.
      </p>
      <div className="field">
        <label htmlFor={`${id}-secret`}>Secret</label>
        <div className="secret-row">
          <input
            ref={field}
            id={`${id}-secret`}
            className="mono secret"
            readOnly
            value={secret}
            aria-describedby={`${id}-warning`}
            spellCheck={false}
            autoComplete="off"
            onFocus={(event) => event.target.select()}
          />
          <button type="button" onClick={copy}>
            Copy
          </button>
        </div>
        <p className="hint" role="status">
          {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Copying was not allowed here: the key is selected, press Ctrl+C (⌘C).' : ''}
        </p>
      </div>
      <label className="check">
        <input type="checkbox" checked={stored} onChange={(event) => setStored(event.target.checked)} /> I have stored this key somewhere safe
      </label>
      <div className="dialog-actions">
        <button type="button" className="primary" disabled={!stored} onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
