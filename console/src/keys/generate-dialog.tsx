import { useEffect, useRef, useState } from 'react';
import GenerateKey from '../api/operations/generate-key.graphql';
import type { SecretPayload } from '../api/types';
import { Dialog } from '../ui/dialog';
import { DialogActions } from '../ui/dialog-actions';
import { Field, issueAt } from '../ui/field';
import { EXPIRY_CHOICES, type ExpiryChoice, expiresAtFor } from './expiry-choice';
import { SecretReveal } from './secret-reveal';
import { useKeyMutation } from './use-key-mutation';

const FIELD_PATHS = new Set(['input.name', 'input.environment', 'input.expiresAt', 'expiryDate']);

/** Asks for a name, environment and expiry; then shows the new secret once. */
export function GenerateDialog({ projectId, onClose }: { projectId: string; onClose(): void }) {
  const [name, setName] = useState('');
  const [environment, setEnvironment] = useState('live');
  const [expiry, setExpiry] = useState<ExpiryChoice>('never');
  const [date, setDate] = useState('');
  const [issues, setIssues] = useState<{ path: string; message: string }[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const { run, fetching } = useKeyMutation<SecretPayload>(GenerateKey, 'generateApiKey');
  const form = useRef<HTMLFormElement>(null);
  // After a refusal, the first field it names takes focus, so its message is read out.
  useEffect(() => {
    if (issues.length > 0) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [issues]);

  if (secret)
    return (
      <Dialog title="Copy your new API key" description={`“${name.trim()}” was generated for project ${projectId}.`}>
        <SecretReveal secret={secret} onDone={onClose} />
      </Dialog>
    );

  const submit = async () => {
    if (fetching) return;
    setProblem(null);
    if (expiry === 'date' && !date) {
      setIssues([{ path: 'expiryDate', message: 'Choose the day the key stops working, or another expiry.' }]);
      return;
    }
    const outcome = await run({ projectId, name, environment, expiresAt: expiresAtFor(expiry, date) });
    if (outcome.ok) {
      setIssues([]);
      setSecret(outcome.payload.secret);
      return;
    }
    const found = outcome.error?.issues ?? [];
    setIssues(found);
    const elsewhere = found.filter((issue) => !FIELD_PATHS.has(issue.path));
    setProblem(found.length === 0 ? outcome.message : elsewhere.length > 0 ? elsewhere.map((issue) => issue.message).join(' ') : null);
  };

  return (
    <Dialog title="Generate New API Key" description="The secret is shown once, right after it is generated." onClose={fetching ? undefined : onClose}>
      <form
        ref={form}
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Field label="Name" hint="What uses this key, so you can tell keys apart later: “Billing worker (prod)”." error={issueAt(issues, 'input.name')}>
          <input value={name} onChange={(event) => setName(event.target.value)} maxLength={200} autoComplete="off" data-autofocus />
        </Field>
        <Field label="Environment" hint="2–16 lowercase letters or digits: live, test, staging…" error={issueAt(issues, 'input.environment')}>
          <input value={environment} onChange={(event) => setEnvironment(event.target.value)} list="environments" autoComplete="off" spellCheck={false} />
        </Field>
        <datalist id="environments">
          <option value="live" />
          <option value="test" />
          <option value="staging" />
        </datalist>
        <Field label="Expires" hint="Keys that expire limit the damage of a leak." error={issueAt(issues, 'input.expiresAt')}>
          <select value={expiry} onChange={(event) => setExpiry(event.target.value as ExpiryChoice)}>
            {EXPIRY_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </Field>
        {expiry === 'date' && (
          <Field label="Expiry date" error={issueAt(issues, 'expiryDate')}>
            <input type="date" value={date} onChange={(event) => setDate(event.target.value)} required />
          </Field>
        )}
        {problem && (
          <p className="alert" role="alert">
            {problem}
          </p>
        )}
        <DialogActions submit={fetching ? 'Generating…' : 'Generate key'} busy={fetching} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
