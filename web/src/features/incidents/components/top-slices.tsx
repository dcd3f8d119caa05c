import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors } from '@/components/charts/theme';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { formatMetric, formatMetricDelta, formatPercent, formatSlice } from '@/lib/format';
import type { IncidentDetail } from '@/types/api';

/** Where the drop is concentrated: each slice's share of it, and its level before and during. */
export function TopSlices({ incident }: { incident: IncidentDetail }) {
  const rows = incident.slices.map((s) => ({ ...s, name: formatSlice(s.slice) }));
  const metric = incident.metric;
  const height = Math.max(160, rows.length * 44 + 40);
  // Bars start below the lowest level so the smallest one still shows; the axis says where they start.
  const levels = rows.flatMap((r) => [r.baseline, r.current]);
  const lo = Math.min(...levels);
  const hi = Math.max(...levels);
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.25;
  // Round the ends to the metric's unit so the axis ticks land on round numbers.
  const unit = metric.endsWith('_rate') ? 0.01 : metric === 'avg_rating' ? 0.1 : 1;
  const levelDomain: [number, number] = [
    Math.max(0, Math.floor((lo - pad) / unit) * unit),
    Math.ceil((hi + pad * 0.2) / unit) * unit,
  ];
  return (
    <Card
      title="Top regressing slices"
      description="Share of the drop each slice explains (best explanation first), and its level in the baseline vs the incident."
      className="lg:col-span-2"
    >
      {rows.length === 0 ? (
        <EmptyState title="No localized slice">The analysis did not narrow this regression to a cohort.</EmptyState>
      ) : (
        <ChartFrame
          label="Top regressing slices"
          height={height}
          rows={rows}
          rowKey={(r) => r.name}
          columns={[
            { header: 'Slice', cell: (r) => r.name },
            { header: 'Contribution', cell: (r) => formatPercent(r.contribution), numeric: true },
            { header: 'Baseline', cell: (r) => formatMetric(metric, r.baseline), numeric: true },
            { header: 'Current', cell: (r) => formatMetric(metric, r.current), numeric: true },
            { header: 'Change', cell: (r) => formatMetricDelta(metric, r.delta), numeric: true },
            { header: 'Rate effect', cell: (r) => formatMetricDelta(metric, r.rate_effect, 2), numeric: true },
            { header: 'Mix effect', cell: (r) => formatMetricDelta(metric, r.mix_effect, 2), numeric: true },
          ]}
          chart={
            <div className="grid h-full grid-cols-1 gap-4 md:grid-cols-2">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={rows} layout="vertical" margin={{ left: 8, right: 24 }}>
                  <CartesianGrid stroke={chartColors.grid} horizontal={false} />
                  <XAxis type="number" domain={[0, 1]} tickFormatter={(v: number) => formatPercent(v)} tick={axisTick} />
                  <YAxis type="category" dataKey="name" width={150} tick={axisTick} />
                  <Tooltip formatter={(v) => [formatPercent(Number(v), 1), 'Contribution']} />
                  <Bar dataKey="contribution" name="Contribution" fill={chartColors.primary} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={rows} layout="vertical" margin={{ left: 8, right: 24 }}>
                  <CartesianGrid stroke={chartColors.grid} horizontal={false} />
                  <XAxis
                    type="number"
                    domain={levelDomain}
                    allowDataOverflow
                    tick={axisTick}
                    tickFormatter={(v: number) => formatMetric(metric, v, 1)}
                  />
                  <YAxis type="category" dataKey="name" width={150} tick={axisTick} />
                  <Tooltip formatter={(v, name) => [formatMetric(metric, Number(v)), name]} />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  <Bar dataKey="baseline" name="Baseline" fill={chartColors.muted} isAnimationActive={false} />
                  <Bar dataKey="current" name="Current" fill={chartColors.secondary} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          }
        />
      )}
    </Card>
  );
}
