import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors } from '@/components/charts/theme';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { formatMetric, formatMetricDelta, formatNumber, formatPercent, formatSlice } from '@/lib/format';
import { niceAxis, stepDigits } from '@/lib/ticks';
import type { IncidentDetail } from '@/types/api';

type LevelRow = { baseline: number; current: number };

/** Props Recharts hands a bar's `shape`: its box, and the row it draws. */
type BarShapeProps = { x?: number; y?: number; width?: number; height?: number; payload?: LevelRow };

/**
 * Baseline and current of a slice as a dumbbell: a grey dot at the baseline,
 * an orange one at the current level, joined by a line. Dots, not bars: the
 * axis does not start at zero (a CX Score of 94 vs 90 would be two equal bars
 * from zero), and a dot's position, unlike a bar's length, stays honest on a
 * cut axis.
 */
function Dumbbell({ x = 0, y = 0, width = 0, height = 0, payload }: BarShapeProps) {
  if (!payload) return null;
  // The bar spans [lower, higher]: put each dot at its own end.
  const baselineAtLeft = payload.baseline <= payload.current;
  const xBaseline = baselineAtLeft ? x : x + width;
  const xCurrent = baselineAtLeft ? x + width : x;
  const cy = y + height / 2;
  return (
    <g>
      <line x1={x} x2={x + width} y1={cy} y2={cy} stroke={chartColors.axis} strokeWidth={2} />
      <circle cx={xBaseline} cy={cy} r={6} fill={chartColors.muted} />
      <circle cx={xCurrent} cy={cy} r={6} fill={chartColors.secondary} />
    </g>
  );
}

/** Where the drop is concentrated: each slice's share of it, and its level before and during. */
export function TopSlices({ incident }: { incident: IncidentDetail }) {
  const rows = incident.slices.map((s) => ({ ...s, name: formatSlice(s.slice), range: [Math.min(s.baseline, s.current), Math.max(s.baseline, s.current)] }));
  const metric = incident.metric;
  const height = Math.max(160, rows.length * 44 + 40);
  // The dumbbells' axis: round, evenly spaced ticks around every level (dots, so it need not start at zero).
  const levelAxis = niceAxis(rows.flatMap((r) => [r.baseline, r.current]));
  const isRate = metric.endsWith('_rate');
  const levelDigits = levelAxis ? stepDigits(isRate ? levelAxis.step * 100 : levelAxis.step) : 1;
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
              <div className="flex h-full min-w-0 flex-col">
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={rows} layout="vertical" margin={{ left: 8, right: 24 }}>
                    <CartesianGrid stroke={chartColors.grid} horizontal={false} />
                    <XAxis
                      type="number"
                      domain={levelAxis?.domain ?? ['auto', 'auto']}
                      ticks={levelAxis?.ticks}
                      interval={0}
                      tick={axisTick}
                      tickFormatter={(v: number) => (isRate ? formatPercent(v, levelDigits) : formatNumber(v, levelDigits))}
                    />
                    <YAxis type="category" dataKey="name" width={150} tick={axisTick} />
                    <Tooltip
                      cursor={{ fill: chartColors.grid, fillOpacity: 0.4 }}
                      content={({ active, payload }) => {
                        const row = active ? (payload?.[0]?.payload as (typeof rows)[number] | undefined) : undefined;
                        return row ? (
                          <div className="rounded border border-slate-200 bg-white px-2 py-1 text-xs shadow-sm">
                            <p className="font-medium">{row.name}</p>
                            <p>
                              {formatMetric(metric, row.baseline)} → {formatMetric(metric, row.current)} (
                              {formatMetricDelta(metric, row.delta)})
                            </p>
                          </div>
                        ) : null;
                      }}
                    />
                    <Bar dataKey="range" name="Baseline → current" shape={<Dumbbell />} isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
                <p className="flex items-center justify-center gap-4 text-xs text-slate-600">
                  <span className="inline-flex items-center gap-1">
                    <span aria-hidden="true" className="size-2.5 rounded-full" style={{ background: chartColors.muted }} />
                    Baseline
                  </span>
                  <span className="inline-flex items-center gap-1">
                    <span aria-hidden="true" className="size-2.5 rounded-full" style={{ background: chartColors.secondary }} />
                    Current
                  </span>
                </p>
              </div>
            </div>
          }
        />
      )}
      {rows
        .filter((r) => (r.same_orders_as ?? []).length > 0)
        .map((r) => (
          <p key={r.name} className="mt-3 text-xs text-slate-600">
            <span className="font-medium">{r.name}</span> selects exactly the same orders as{' '}
            {(r.same_orders_as ?? []).map(formatSlice).join(', ')}: the data cannot tell them apart.
          </p>
        ))}
    </Card>
  );
}
