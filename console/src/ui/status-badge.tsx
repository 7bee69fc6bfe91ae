import type { ApiKeyStatus } from '../api/types';

// Status by word and symbol first; the colour only repeats it.
const LOOK: Record<ApiKeyStatus, { label: string; symbol: string }> = {
  ACTIVE: { label: 'Active', symbol: '●' },
  INACTIVE: { label: 'Inactive', symbol: '❚❚' },
  EXPIRED: { label: 'Expired', symbol: '◷' },
  DELETED: { label: 'Deleted', symbol: '✕' },
};

export function StatusBadge({ status }: { status: ApiKeyStatus }) {
  const look = LOOK[status];
  return (
    <span className={`badge badge-${status.toLowerCase()}`}>
      <span aria-hidden="true">{look.symbol}</span> {look.label}
    </span>
  );
}
