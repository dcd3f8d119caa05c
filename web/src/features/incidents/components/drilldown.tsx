import { useId } from 'react';
import { useSearchParams } from 'react-router';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { SliceText } from '@/components/ui/slice-text';
import { formatInteger, formatMetric, formatMetricDelta } from '@/lib/format';
import type { IncidentDetail } from '@/types/api';

/** The incident slice split by each dimension it does not fix; the chosen dimension is in the URL (`?dim=`). */
export function Drilldown({ incident }: { incident: IncidentDetail }) {
  const id = useId();
  const [search, setSearch] = useSearchParams();
  const dimensions = incident.drilldown;
  const chosen = dimensions.find((d) => d.dimension === search.get('dim')) ?? dimensions[0];
  const metric = chosen?.metric ?? incident.metric;
  // Whether a rise is good for this metric (cancellations, contacts: no), from its breakdown entry.
  const higherIsBetter = incident.breakdown.find((b) => b.metric === metric)?.higher_is_better ?? true;
  const tone = (delta: number | null) =>
    delta === null || delta === 0 ? 'text-slate-500' : (delta < 0) === higherIsBetter ? 'text-rose-700' : 'text-emerald-700';

  return (
    <Card
      title="Slice drill-down"
      description={`${incident.slice_text} split by one more dimension, worst change first.`}
      className="lg:col-span-2"
      actions={
        chosen ? (
          <div className="flex items-center gap-2">
            <label htmlFor={id} className="text-xs font-medium text-slate-600">
              Dimension
            </label>
            <select
              id={id}
              value={chosen.dimension}
              onChange={(e) =>
                setSearch(
                  (prev) => {
                    const next = new URLSearchParams(prev);
                    next.set('dim', e.target.value);
                    return next;
                  },
                  { replace: true, preventScrollReset: true },
                )
              }
              className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
            >
              {dimensions.map((d) => (
                <option key={d.dimension} value={d.dimension}>
                  {d.dimension}
                </option>
              ))}
            </select>
          </div>
        ) : null
      }
    >
      {!chosen ? (
        <EmptyState title="Nothing to drill into">The incident slice already fixes every dimension.</EmptyState>
      ) : chosen.rows.length === 0 ? (
        <EmptyState title={`No rows for ${chosen.dimension}`}>No cohort of this dimension had enough orders.</EmptyState>
      ) : (
        <div className="-mx-5 overflow-x-auto">
          <table className="w-full text-left text-sm tabular-nums">
            <caption className="sr-only">
              {incident.slice_text} by {chosen.dimension}
            </caption>
            <thead className="border-b border-slate-200 text-xs text-slate-500">
              <tr>
                <th scope="col" className="px-5 py-2 font-medium">
                  {chosen.dimension}
                </th>
                <th scope="col" className="px-5 py-2 text-right font-medium">Baseline</th>
                <th scope="col" className="px-5 py-2 text-right font-medium">Current</th>
                <th scope="col" className="px-5 py-2 text-right font-medium">Change</th>
                <th scope="col" className="px-5 py-2 text-right font-medium">Orders</th>
              </tr>
            </thead>
            <tbody>
              {chosen.rows.map((row) => (
                <tr key={row.slice_text} className="border-b border-slate-100 last:border-0">
                  <th scope="row" className="px-5 py-2 font-mono text-xs font-normal">
                    <SliceText text={row.slice_text} />
                  </th>
                  <td className="px-5 py-2 text-right">{formatMetric(metric, row.baseline)}</td>
                  <td className="px-5 py-2 text-right">{formatMetric(metric, row.current)}</td>
                  <td className={`px-5 py-2 text-right font-medium ${tone(row.delta)}`}>
                    {formatMetricDelta(metric, row.delta)}
                  </td>
                  <td className="px-5 py-2 text-right">{formatInteger(row.orders)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
