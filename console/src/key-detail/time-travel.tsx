import { type FormEvent, useId, useRef, useState } from 'react';
import { useQuery } from 'urql';
import KeyAsOfQuery from '../api/operations/key-as-of.graphql';
import { Field } from '../ui/field';
import { formatExact, fromLocalInput } from '../ui/format';
import { describeError } from '../ui/states';
import { StatusBadge } from '../ui/status-badge';
import type { KeyAsOfData } from './types';

/** The key as it was at a chosen moment, rebuilt by the API from the event log. */
export function TimeTravel({ keyId }: { keyId: string }) {
  const headingId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [moment, setMoment] = useState('');
  const [asOf, setAsOf] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [{ data, error, fetching }] = useQuery<KeyAsOfData>({ query: KeyAsOfQuery, variables: { id: keyId, asOf: asOf ?? '' }, pause: asOf === null });

  const show = (event: FormEvent) => {
    event.preventDefault();
    const at = fromLocalInput(moment);
    if (!at) {
      setProblem('Choose a date and time.');
      setAsOf(null);
      return;
    }
    setProblem(null);
    setAsOf(at);
  };
  const backToNow = () => {
    setAsOf(null);
    setMoment('');
    setProblem(null);
    input.current?.focus();
  };

  const shown = asOf !== null && !fetching ? data : undefined;
  return (
    <section className="detail-section" aria-labelledby={headingId}>
      <h2 id={headingId}>As it was</h2>
      <form className="as-of-form" onSubmit={show} noValidate>
        <Field label="Show the key as of" hint="In your time zone." error={problem}>
          <input ref={input} type="datetime-local" step={1} value={moment} onChange={(event) => setMoment(event.target.value)} />
        </Field>
        <div className="as-of-actions">
          <button type="submit" className="primary">
            Show
          </button>
          {asOf !== null && (
            <button type="button" onClick={backToNow}>
              Back to now
            </button>
          )}
        </div>
      </form>
      <div aria-live="polite">
        {asOf === null ? null : error ? (
          <p className="alert" role="alert">
            {describeError(error)}
          </p>
        ) : fetching || !shown ? (
          <p className="muted">Rebuilding the key as of {formatExact(asOf)}…</p>
        ) : !shown.apiKey ? (
          <p className="as-of-result">The key did not exist yet at that time.</p>
        ) : (
          <div className="as-of-result">
            <p>As of {formatExact(shown.apiKey.asOf ?? asOf)}:</p>
            <dl className="key-facts">
              <div className="key-fact">
                <dt>Name</dt>
                <dd>{shown.apiKey.name}</dd>
              </div>
              <div className="key-fact">
                <dt>Status</dt>
                <dd>
                  <StatusBadge status={shown.apiKey.status} />
                  {shown.apiKey.statusReason && <div className="fact-note">Reason: {shown.apiKey.statusReason}</div>}
                </dd>
              </div>
              <div className="key-fact">
                <dt>Expires</dt>
                <dd>
                  {shown.apiKey.expiresAt ? <time dateTime={shown.apiKey.expiresAt}>{formatExact(shown.apiKey.expiresAt)}</time> : <span className="muted">Never expires</span>}
                </dd>
              </div>
              <div className="key-fact">
                <dt>Version</dt>
                <dd>{shown.apiKey.version}</dd>
              </div>
            </dl>
          </div>
        )}
      </div>
    </section>
  );
}
