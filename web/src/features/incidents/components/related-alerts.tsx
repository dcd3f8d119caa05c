import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { SliceText } from '@/components/ui/slice-text';
import { formatMetric, formatMetricDelta, formatNumber, formatSlice, humanize } from '@/lib/format';
import type { IncidentDetail } from '@/types/api';

/** The detector alerts merged into this incident: the evidence that it is one regression. */
export function RelatedAlerts({ incident }: { incident: IncidentDetail }) {
  const alerts = [...incident.alerts].sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  // The breakdown names the component metrics ("Substitution acceptance"); other metrics get their id in words.
  const label = (metric: string) => incident.breakdown.find((b) => b.metric === metric)?.label ?? humanize(metric);
  return (
    <Card title="Related alerts" description="Detector alerts merged into this incident, strongest first." className="lg:col-span-2">
      {alerts.length === 0 ? (
        <EmptyState title="No related alert">The incident stands on its lead alert alone.</EmptyState>
      ) : (
        <div className="-mx-5 overflow-x-auto">
          <table className="w-full text-left text-sm tabular-nums">
            <caption className="sr-only">Alerts merged into {incident.id}</caption>
            <thead className="border-b border-slate-200 text-xs text-slate-500">
              <tr>
                <th scope="col" className="px-5 py-2 font-medium">Metric</th>
                <th scope="col" className="px-5 py-2 font-medium">Slice</th>
                <th scope="col" className="px-5 py-2 font-medium">Window</th>
                <th scope="col" className="px-5 py-2 text-right font-medium">Baseline</th>
                <th scope="col" className="px-5 py-2 text-right font-medium">Current</th>
                <th scope="col" className="px-5 py-2 text-right font-medium">Change</th>
                <th scope="col" className="px-5 py-2 text-right font-medium">z</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((alert, i) => (
                <tr key={`${alert.metric}-${formatSlice(alert.slice)}-${i}`} className="border-b border-slate-100 last:border-0">
                  <td className="px-5 py-2">{label(alert.metric)}</td>
                  <td className="px-5 py-2 font-mono text-xs">
                    <SliceText text={alert.slice_text ?? formatSlice(alert.slice)} />
                  </td>
                  <td className="px-5 py-2 whitespace-nowrap">
                    {alert.start_date}
                    {alert.end_date === undefined ? null : alert.end_date === null ? ' · ongoing' : ` – ${alert.end_date}`}
                  </td>
                  <td className="px-5 py-2 text-right whitespace-nowrap">{formatMetric(alert.metric, alert.baseline)}</td>
                  <td className="px-5 py-2 text-right whitespace-nowrap">{formatMetric(alert.metric, alert.current)}</td>
                  <td className="px-5 py-2 text-right whitespace-nowrap">{formatMetricDelta(alert.metric, alert.delta)}</td>
                  <td className="px-5 py-2 text-right">{formatNumber(alert.z)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
