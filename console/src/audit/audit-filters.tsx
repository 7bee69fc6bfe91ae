import { useEffect, useId, useState } from 'react';
import { fromLocalInput } from '../ui/format';
import { type AuditFilter, NO_FILTER, toLocalInput } from './audit-filter';
import { EVENT_TYPES, eventLook, isEventType } from './event-labels';

interface Draft {
  type: string;
  keyId: string;
  actor: string;
  from: string;
  to: string;
}

function draftOf(filter: AuditFilter): Draft {
  return { ...filter, from: toLocalInput(filter.from), to: toLocalInput(filter.to) };
}

/** The API names a filter field by its path; the form by its label. */
const LABELS: [path: string, label: string][] = [
  ['filter.types', 'Event type'],
  ['filter.keyId', 'Key id'],
  ['filter.actor', 'Actor'],
  ['filter.from', 'From'],
  ['filter.to', 'To'],
];

/** "filter.keyId: filter.keyId is not a valid ApiKey id" → "Key id is not a valid ApiKey id". */
function readableFilterError(message: string): string {
  let text = message.replace(/^filter\.\w+: /, '');
  for (const [path, label] of LABELS) text = text.replaceAll(path, label);
  return text;
}

/**
 * Every filter applies on submit (typed ids and times would otherwise query on each
 * keystroke). `error` is the API's refusal of the applied filter, shown here, where it
 * can be fixed.
 */
export function AuditFilters({ value, error, onApply }: { value: AuditFilter; error: string | null; onApply(next: AuditFilter): void }) {
  const [draft, setDraft] = useState(() => draftOf(value));
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  useEffect(() => setDraft(draftOf(value)), [value]);
  const set = (field: keyof Draft) => (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setDraft({ ...draft, [field]: event.target.value });
  const shown = problem ?? (error ? readableFilterError(error) : null);
  // The fields the message is about: both times for the local check, else those the API names.
  const named = problem ? ['from', 'to'] : [...(error ?? '').matchAll(/filter\.(\w+)/g)].map((match) => match[1]);
  const invalid = (field: string) => (named.includes(field) ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {});

  return (
    <form
      className="filters audit-filters"
      aria-label="Filter events"
      onSubmit={(event) => {
        event.preventDefault();
        const next: AuditFilter = {
          type: isEventType(draft.type) ? draft.type : '',
          keyId: draft.keyId.trim(),
          actor: draft.actor.trim(),
          from: fromLocalInput(draft.from),
          to: fromLocalInput(draft.to),
        };
        if (next.from && next.to && next.from >= next.to) return setProblem('“From” must be earlier than “To”.');
        setProblem(null);
        onApply(next);
      }}
    >
      <div className="field">
        <label htmlFor={`${id}-type`}>Event type</label>
        <select id={`${id}-type`} value={draft.type} onChange={set('type')} {...invalid('types')}>
          <option value="">All types</option>
          {EVENT_TYPES.map((type) => (
            <option key={type} value={type}>
              {eventLook(type).label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-key`}>Key id</label>
        <input id={`${id}-key`} value={draft.keyId} onChange={set('keyId')} spellCheck={false} autoComplete="off" {...invalid('keyId')} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-actor`}>Actor</label>
        <input id={`${id}-actor`} value={draft.actor} onChange={set('actor')} spellCheck={false} autoComplete="off" {...invalid('actor')} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-from`}>From</label>
        <input id={`${id}-from`} type="datetime-local" value={draft.from} onChange={set('from')} {...invalid('from')} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-to`}>To</label>
        <input id={`${id}-to`} type="datetime-local" value={draft.to} onChange={set('to')} {...invalid('to')} />
      </div>
      <div className="filter-actions">
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button
          type="button"
          onClick={() => {
            setProblem(null);
            setDraft(draftOf(NO_FILTER));
            onApply(NO_FILTER);
          }}
        >
          Clear
        </button>
      </div>
      {shown && (
        <p id={`${id}-error`} className="alert filter-error" role="alert">
          <span aria-hidden="true">⚠ </span>
          {shown}
        </p>
      )}
    </form>
  );
}
