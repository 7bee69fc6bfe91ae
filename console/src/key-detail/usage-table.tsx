import type { Granularity, UsagePoint } from './types';
import { formatCount, formatPointStart } from './usage-range';

/** Every point of the chart as rows, behind a disclosure so it does not crowd the page. */
export function UsageTable({ points, granularity }: { points: UsagePoint[]; granularity: Granularity }) {
  return (
    <details className="usage-data">
      <summary>Usage data (table)</summary>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Usage data</caption>
          <thead>
            <tr>
              <th scope="col">{granularity === 'DAY' ? 'Day (UTC)' : 'Starting'}</th>
              <th scope="col">Accepted</th>
              <th scope="col">Refused</th>
            </tr>
          </thead>
          <tbody>
            {points.map((point) => (
              <tr key={point.start}>
                <td>
                  <time dateTime={point.start}>{formatPointStart(point.start, granularity)}</time>
                </td>
                <td className="number">{formatCount(point.valid)}</td>
                <td className="number">{formatCount(point.rejected)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
