import { useState } from 'react';
import DeleteKey from '../api/operations/delete-key.graphql';
import type { KeyPayload, KeyRow } from '../api/types';
import { Dialog } from '../ui/dialog';
import { DialogActions } from '../ui/dialog-actions';
import { Field } from '../ui/field';
import { ActionProblem } from './action-problem';
import { ReasonField } from './reason-field';
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
        <ReasonField value={reason} onChange={setReason} issues={failed?.error?.issues} />
        <ActionProblem outcome={failed} />
        <DialogActions submit="Delete key" tone="danger" busy={fetching} disabled={!confirmed} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
