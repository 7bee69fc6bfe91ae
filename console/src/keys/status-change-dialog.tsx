import { useState } from 'react';
import DeactivateKey from '../api/operations/deactivate-key.graphql';
import ReactivateKey from '../api/operations/reactivate-key.graphql';
import type { KeyPayload, KeyRow } from '../api/types';
import { Dialog } from '../ui/dialog';
import { DialogActions } from '../ui/dialog-actions';
import { ActionProblem } from './action-problem';
import { ReasonField } from './reason-field';
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
        <ReasonField value={reason} onChange={setReason} issues={failed?.error?.issues} autoFocus />
        <ActionProblem outcome={failed} />
        <DialogActions submit={verb} tone={change === 'deactivate' ? 'danger' : 'primary'} busy={fetching} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
