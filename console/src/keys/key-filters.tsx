import { useEffect, useState } from 'react';
import type { ApiKeyStatus } from '../api/types';

export interface KeyFilter {
  status: ApiKeyStatus | '';
  environment: string;
}

const STATUSES: { value: KeyFilter['status']; label: string }[] = [
  { value: '', label: 'All but deleted' },
  { value: 'ACTIVE', label: 'Active' },
  { value: 'INACTIVE', label: 'Inactive' },
  { value: 'EXPIRED', label: 'Expired' },
  { value: 'DELETED', label: 'Deleted' },
];

/** Status applies as soon as it is picked; the environment when submitted (it is typed). */
export function KeyFilters({ value, onChange }: { value: KeyFilter; onChange(next: KeyFilter): void }) {
  const [environment, setEnvironment] = useState(value.environment);
  useEffect(() => setEnvironment(value.environment), [value.environment]);
  return (
    <form
      className="filters"
      aria-label="Filter keys"
      onSubmit={(event) => {
        event.preventDefault();
        onChange({ ...value, environment: environment.trim() });
      }}
    >
      <div className="field">
        <label htmlFor="filter-status">Status</label>
        <select id="filter-status" value={value.status} onChange={(event) => onChange({ ...value, status: event.target.value as KeyFilter['status'] })}>
          {STATUSES.map((status) => (
            <option key={status.value} value={status.value}>
              {status.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-environment">Environment</label>
        <input id="filter-environment" value={environment} onChange={(event) => setEnvironment(event.target.value)} placeholder="all" spellCheck={false} />
      </div>
      <button type="submit">Filter</button>
      {(value.status || value.environment) && (
        <button type="button" onClick={() => onChange({ status: '', environment: '' })}>
          Clear filters
        </button>
      )}
    </form>
  );
}
