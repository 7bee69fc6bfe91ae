import { useState } from 'react';
import DeactivateKey from '../api/operations/deactivate-key.graphql';
import ReactivateKey from '../api/operations/reactivate-key.graphql';
import type { KeyPayload, KeyRow } from '../api/types';
import { Dialog } from '../ui/dialog';
import { Field, issueAt } from '../ui/field';
import { ActionProblem } from './action-problem';
import { isStale, type Outcome, useKeyMutation } from './use-key-mutation';

const CHANGES = {
  deactivate: {
    document: DeactivateKey,
    field: 'deactivateApiKey',
    verb: 'Deactivate',
    explain: 'Verifications of this key answer INACTIVE until it is reactivated. Nothing else changes.',
  },
  reactivate: {
    document: ReactivateKey,
    field: 'reactivateApiKey',
    verb: 'Reactivate',
    explain: 'The key verifies again at once.',
  },
} as const;

/** Deactivate or reactivate a key, with an optional reason kept in its history. */
export function StatusChangeDialog({ change, apiKey, onClose, onStale }: { change: keyof typeof CHANGES; apiKey: KeyRow; onClose(): void; onStale(): void }) {
  const { document, field, verb, explain } = CHANGES[change];
  const [reason, setReason] = useState('');
  const [failed, setFailed] = useState<Extract<Outcome<unknown>, { ok: false }> | null>(null);
  const { run, fetching } = useKeyMutation<KeyPayload>(document, field);

  const submit = async () => {
    if (fetching) return;
    const outcome = await run({ id: apiKey.id, reason: reason.trim() || undefined, expectedVersion: apiKey.version });
    if (outcome.ok) return onClose();
    setFailed(outcome);
    if (isStale(outcome.error)) onStale();
  };

  return (
    <Dialog title={`${verb} ${apiKey.name}`} description={explain} onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Field label="Reason (optional)" hint="Shown in the key’s history and the audit log." error={issueAt(failed?.error?.issues, 'input.reason')}>
          <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={600} data-autofocus />
        </Field>
        <ActionProblem outcome={failed} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className={change === 'deactivate' ? 'danger' : 'primary'} aria-busy={fetching}>
            {verb}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
