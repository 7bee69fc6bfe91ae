import { useState } from 'react';
import DeleteKey from '../api/operations/delete-key.graphql';
import type { KeyPayload, KeyRow } from '../api/types';
import { Dialog } from '../ui/dialog';
import { Field, issueAt } from '../ui/field';
import { ActionProblem } from './action-problem';
import { isStale, type Outcome, useKeyMutation } from './use-key-mutation';

/** Deleting is for good: the user types the key's name to confirm. */
export function DeleteDialog({ apiKey, onClose, onStale }: { apiKey: KeyRow; onClose(): void; onStale(): void }) {
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const [failed, setFailed] = useState<Extract<Outcome<unknown>, { ok: false }> | null>(null);
  const { run, fetching } = useKeyMutation<KeyPayload>(DeleteKey, 'deleteApiKey');
  const confirmed = typed === apiKey.name;

  const submit = async () => {
    if (!confirmed || fetching) return;
    const outcome = await run({ id: apiKey.id, reason: reason.trim() || undefined, expectedVersion: apiKey.version });
    if (outcome.ok) return onClose();
    setFailed(outcome);
    if (isStale(outcome.error)) onStale();
  };

  return (
    <Dialog title={`Delete ${apiKey.name}`} onClose={onClose}>
      <p className="warning">
        <strong>This is permanent.</strong> Anything using this key loses access at once, and it cannot be reactivated. Its history stays in the audit log.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Field label="Type the key name to confirm" hint={`Type “${apiKey.name}”.`}>
          <input value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" spellCheck={false} data-autofocus />
        </Field>
        <Field label="Reason (optional)" hint="Shown in the key’s history and the audit log." error={issueAt(failed?.error?.issues, 'input.reason')}>
          <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={600} />
        </Field>
        <ActionProblem outcome={failed} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={!confirmed} aria-busy={fetching}>
            Delete key
          </button>
        </div>
      </form>
    </Dialog>
  );
}
