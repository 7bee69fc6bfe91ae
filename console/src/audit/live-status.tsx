import type { LiveStatus } from './live-events';

// The state in words and a symbol; the colour only repeats it.
const LOOK: Record<LiveStatus, { label: string; symbol: string }> = {
  live: { label: 'Live', symbol: '●' },
  reconnecting: { label: 'Reconnecting…', symbol: '↻' },
  paused: { label: 'Paused', symbol: '❚❚' },
};

export function LiveControls({ status, onToggle }: { status: LiveStatus; onToggle(): void }) {
  const look = LOOK[status];
  return (
    <div className="live-controls">
      <p className={`live-status live-${status}`} role="status">
        <span aria-hidden="true">{look.symbol}</span> {look.label}
      </p>
      <button type="button" onClick={onToggle}>
        {status === 'paused' ? 'Resume live updates' : 'Pause live updates'}
      </button>
    </div>
  );
}
