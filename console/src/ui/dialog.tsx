import { type ReactNode, useEffect, useId, useRef } from 'react';

// A modal on the browser's own <dialog>: showModal() makes the rest of the page inert,
// so Tab stays inside, and Escape asks to close. Focus goes to the control marked
// data-autofocus (showModal would put it on the first button, the close button), and
// returns to what had it before (the row menu's button, say) when the dialog goes away.

interface DialogProps {
  title: string;
  /** One line under the title, read out with it. */
  description?: ReactNode;
  children: ReactNode;
  /** Escape or the close button; absent while the dialog must not be left (a secret not yet confirmed). */
  onClose?: () => void;
}

export function Dialog({ title, description, children, onClose }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const closable = useRef(onClose !== undefined);
  closable.current = onClose !== undefined;

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      dialog.close();
      // The opener may be gone (a row deleted): then the page's main heading takes focus.
      if (opener?.isConnected && opener !== document.body) opener.focus();
      else document.querySelector<HTMLElement>('main h1')?.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onKeyDown={(event) => {
        // Chrome lets a page refuse Escape only once between user actions; a dialog that
        // must stay open keeps the key from reaching it at all.
        if (event.key === 'Escape' && !closable.current) event.preventDefault();
      }}
      onCancel={(event) => {
        event.preventDefault();
        onClose?.();
      }}
      onClose={() => {
        // Closed by the browser anyway (a close request it would not let us refuse): while the
        // dialog must stay, open it again; otherwise it is the same as asking to close.
        if (!closable.current) ref.current?.showModal();
        else onClose?.();
      }}
    >
      <div className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        {onClose && (
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            <span aria-hidden="true">×</span>
          </button>
        )}
      </div>
      {description && (
        <p id={descriptionId} className="dialog-description">
          {description}
        </p>
      )}
      {children}
    </dialog>
  );
}
