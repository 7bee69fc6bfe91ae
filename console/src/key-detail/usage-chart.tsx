import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Granularity, UsagePoint } from './types';
import { formatCount, formatPointStart } from './usage-range';

const HEIGHT = 240;
// The series differ by line style (solid, dashed) as well as colour, and the legend names them in
// words; key-detail.css draws the legend's swatches in the same colours.
const ACCEPTED = '#0b57d0';
const REFUSED = '#b3261e';

/**
 * Accepted and refused verifications per point, drawn by uPlot on a canvas sized to the
 * container. The canvas says nothing to a screen reader: the summary sentence and the
 * data table beside it carry the same numbers.
 */
export function UsageChart({ points, granularity, label }: { points: UsagePoint[]; granularity: Granularity; label: string }) {
  const container = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  const data = useMemo<uPlot.AlignedData>(
    () => [points.map((point) => Date.parse(point.start) / 1000), points.map((point) => point.valid), points.map((point) => point.rejected)],
    [points],
  );
  const latest = useRef(data);
  latest.current = data;

  // Made once per granularity; a refresh of the same range only gives it new data (below),
  // so the chart does not flicker and the point under the pointer stays read out.
  useEffect(() => {
    const element = container.current!;
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 200),
        height: HEIGHT,
        legend: { show: false },
        // UTC days are drawn as UTC dates, so a day's point is not labelled with the evening before.
        tzDate: granularity === 'DAY' ? (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') : (ts) => new Date(ts * 1000),
        scales: { x: { time: true }, y: { range: (_plot, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
        axes: [
          { stroke: '#57606a', grid: { stroke: '#eaeef2' }, ticks: { stroke: '#d0d7de' } },
          {
            stroke: '#57606a',
            grid: { stroke: '#eaeef2' },
            ticks: { stroke: '#d0d7de' },
            // Counts are whole numbers: no tick at 0.5.
            values: (_plot, splits) => splits.map((value) => (Number.isInteger(value) ? formatCount(value) : '')),
          },
        ],
        series: [{}, { label: 'Accepted', stroke: ACCEPTED, width: 2, points: { size: 5 } }, { label: 'Refused', stroke: REFUSED, width: 2, dash: [6, 4], points: { size: 5 } }],
        hooks: { setCursor: [(plot) => setHovered(plot.cursor.idx ?? null)] },
      },
      latest.current,
      element,
    );
    plotRef.current = plot;
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 200), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [granularity]);

  useEffect(() => {
    plotRef.current?.setData(data);
  }, [data]);

  const point = hovered === null ? undefined : points[hovered];
  return (
    <figure className="usage-figure">
      <div ref={container} className="usage-chart" role="img" aria-label={label} />
      <figcaption className="chart-legend">
        <span className="legend-item">
          <span className="swatch swatch-accepted" aria-hidden="true" />
          Accepted (valid)
        </span>
        <span className="legend-item">
          <span className="swatch swatch-refused" aria-hidden="true" />
          Refused (inactive, expired or deleted)
        </span>
        {/* Mouse users read the point under the pointer here; the table below has every point for everyone. */}
        <span className="chart-readout muted" aria-hidden="true">
          {point ? `${formatPointStart(point.start, granularity)}: ${formatCount(point.valid)} accepted, ${formatCount(point.rejected)} refused` : ' '}
        </span>
      </figcaption>
    </figure>
  );
}
