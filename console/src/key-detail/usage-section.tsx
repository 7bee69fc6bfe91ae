import { useId, useState } from 'react';
import { useQuery } from 'urql';
import KeyUsageQuery from '../api/operations/key-usage.graphql';
import { isApiError } from '../api/types';
import { Empty, LoadError, Loading } from '../ui/states';
import { usePolling } from '../ui/use-polling';
import type { KeyUsageData } from './types';
import { UsageChart } from './usage-chart';
import { describeTotals, PRESET_IDS, PRESETS, type PresetId, rangeOf, totalsOf } from './usage-range';
import { UsageTable } from './usage-table';

/** How often the chart is reloaded while the tab is visible: usage arrives one window at a time anyway. */
const REFRESH_MS = 30_000;

/** The key's verifications over a chosen range: a chart, its totals in words, and its points as a table. */
export function UsageSection({ keyId }: { keyId: string }) {
  const headingId = useId();
  const [preset, setPreset] = useState<PresetId>('day');
  const [range, setRange] = useState(() => rangeOf('day', Date.now()));
  const [{ data, error }, reexecute] = useQuery<KeyUsageData>({ query: KeyUsageQuery, variables: { id: keyId, ...range } });

  // The range moves with the clock: a new range is a new query; the same range is asked again.
  const refresh = () => {
    const next = rangeOf(preset, Date.now());
    if (next.from === range.from && next.to === range.to) reexecute({ requestPolicy: 'network-only' });
    else setRange(next);
  };
  usePolling(refresh, REFRESH_MS, true);

  const choose = (id: PresetId) => {
    setPreset(id);
    setRange(rangeOf(id, Date.now()));
  };

  const usage = data?.apiKey?.usage;
  return (
    <section className="detail-section" aria-labelledby={headingId}>
      <div className="section-head">
        <h2 id={headingId}>Usage</h2>
        <button type="button" onClick={refresh} aria-label="Refresh usage">
          Refresh
        </button>
      </div>
      <fieldset className="range-choice">
        <legend className="visually-hidden">Range</legend>
        {PRESET_IDS.map((id) => (
          <span key={id} className="range-option">
            <input type="radio" id={`${headingId}-${id}`} name={`${headingId}-range`} value={id} checked={preset === id} onChange={() => choose(id)} />
            <label htmlFor={`${headingId}-${id}`}>{PRESETS[id].label}</label>
          </span>
        ))}
      </fieldset>
      {error && !data ? (
        <LoadError error={error} retry={refresh} />
      ) : !usage ? (
        <Loading what="usage" />
      ) : isApiError(usage) ? (
        <div className="alert" role="alert">
          <p>{usage.message}</p>
          {usage.issues && usage.issues.length > 0 && (
            <ul>
              {usage.issues.map((issue) => (
                <li key={issue.path}>{issue.message}</li>
              ))}
            </ul>
          )}
        </div>
      ) : totalsOf(usage.points).total === 0 ? (
        <Empty>
          <p>No verifications in this range.</p>
        </Empty>
      ) : (
        <>
          <p className="usage-totals">{describeTotals(totalsOf(usage.points))}</p>
          <UsageChart
            points={usage.points}
            granularity={usage.granularity}
            label={`Chart of verifications, ${PRESETS[preset].label.toLowerCase()}: ${describeTotals(totalsOf(usage.points))} The table below lists each point.`}
          />
          <UsageTable points={usage.points} granularity={usage.granularity} />
        </>
      )}
      <p className="hint">Verifications are counted when their usage window closes (every minute by default, set by USAGE_WINDOW_SECONDS), so the latest may not show yet.</p>
    </section>
  );
}
