import { useState } from 'react';
import RollKey from '../api/operations/roll-key.graphql';
import type { KeyRow, RollPayload } from '../api/types';
import { Dialog } from '../ui/dialog';
import { DialogActions } from '../ui/dialog-actions';
import { ActionProblem } from './action-problem';
import { ReasonField } from './reason-field';
import { SecretReveal } from './secret-reveal';
import { isStale, type Outcome, useKeyMutation } from './use-key-mutation';

const GRACE = [
  { seconds: 0, label: 'Now', hint: 'the old key stops verifying at once' },
  { seconds: 3600, label: '1 hour', hint: '' },
  { seconds: 86_400, label: '24 hours', hint: '' },
  { seconds: 604_800, label: '7 days', hint: '' },
] as const;

/** Replaces a key by a new one; the old one keeps verifying for the grace period chosen. The new secret is shown once. */
export function RollDialog({ apiKey, onClose, onStale }: { apiKey: KeyRow; onClose(): void; onStale(): void }) {
  const [grace, setGrace] = useState<number>(86_400);
  const [reason, setReason] = useState('');
  const [failed, setFailed] = useState<Extract<Outcome<unknown>, { ok: false }> | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const { run, fetching } = useKeyMutation<RollPayload>(RollKey, 'rollApiKey');

  if (secret)
    return (
      <Dialog title="Copy the new API key" description={`“${apiKey.name}” was rolled. Put the new key in place before the old one stops verifying.`}>
        <SecretReveal secret={secret} onDone={onClose} />
      </Dialog>
    );

  const submit = async () => {
    if (fetching) return;
    const outcome = await run({ id: apiKey.id, gracePeriodSeconds: grace, reason: reason.trim() || undefined, expectedVersion: apiKey.version });
    if (outcome.ok) return setSecret(outcome.payload.secret);
    setFailed(outcome);
    if (isStale(outcome.error)) onStale();
  };

  return (
    <Dialog
      title={`Roll ${apiKey.name}`}
      description="A new key replaces this one (same name and environment). The old key keeps working for the grace period, then answers EXPIRED."
      onClose={fetching ? undefined : onClose}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <fieldset className="field grace">
          <legend>Old key keeps working for</legend>
          {GRACE.map((option) => (
            <label key={option.seconds} className="check">
              <input
                type="radio"
                name="grace"
                value={option.seconds}
                checked={grace === option.seconds}
                onChange={() => setGrace(option.seconds)}
                data-autofocus={grace === option.seconds ? true : undefined}
              />{' '}
              {option.label}
              {option.hint && <span className="muted"> ({option.hint})</span>}
            </label>
          ))}
        </fieldset>
        <ReasonField value={reason} onChange={setReason} issues={failed?.error?.issues} />
        <ActionProblem outcome={failed} />
        <DialogActions submit="Roll key" busy={fetching} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
