import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors, shortDate } from '@/components/charts/theme';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { formatMetric, formatMetricDelta, formatNeeds, formatNumber, formatPercent } from '@/lib/format';
import { niceAxis, stepDigits } from '@/lib/ticks';
import type { IncidentDetail, IncidentWindow, MetricBreakdown as Breakdown } from '@/types/api';

/** A component metric the data cannot support: what it needs instead of a chart. */
function Unavailable({ item }: { item: Breakdown }) {
  return (
    <li className="flex min-w-0 flex-col gap-1 rounded-lg border border-dashed border-slate-300 bg-slate-50 p-3" data-testid={`unavailable-${item.metric}`}>
      <h3 className="text-sm font-medium text-slate-700">{item.label}</h3>
      <p className="text-xs text-slate-600">
        {formatNeeds(item.needs)}. Without these columns the metric is not computed and takes no points off the CX Score.
      </p>
    </li>
  );
}

function Multiple({ item, window }: { item: Breakdown; window: IncidentWindow }) {
  // Any of the levels is null when the slice (or the rest) had no orders in that window.
  const worse = item.delta === null ? null : item.higher_is_better ? item.delta < 0 : item.delta > 0;
  const restDelta = item.rest_current === null || item.rest_baseline === null ? null : item.rest_current - item.rest_baseline;
  const first = item.series[0]?.date ?? '';
  const last = item.series.at(-1)?.date ?? '';
  const x1 = window.start < first ? first : window.start;
  const x2 = window.end > last ? last : window.end;
  // Round, evenly spaced ticks with as many decimals as their step needs (rates in percent).
  const values = item.series.flatMap((p) => [p.slice, p.rest]).filter((v): v is number => v !== null);
  const isRate = item.metric.endsWith('_rate');
  const axis = niceAxis(values, 4);
  const tickDigits = axis ? stepDigits(isRate ? axis.step * 100 : axis.step) : 1;
  const tickText = (v: number) => (isRate ? formatPercent(v, tickDigits) : formatNumber(v, tickDigits));
  return (
    <li className="flex min-w-0 flex-col gap-1 rounded-lg border border-slate-200 p-3">
      <h3 className="text-sm font-medium text-slate-900">{item.label}</h3>
      <p className="text-xs text-slate-600 tabular-nums">
        Slice {formatMetric(item.metric, item.baseline)} → {formatMetric(item.metric, item.current)}{' '}
        <span className={`font-semibold ${worse === null ? 'text-slate-500' : worse ? 'text-rose-700' : 'text-emerald-700'}`}>
          ({formatMetricDelta(item.metric, item.delta)})
        </span>
        <br />
        Rest {formatMetric(item.metric, item.rest_baseline)} → {formatMetric(item.metric, item.rest_current)} (
        {formatMetricDelta(item.metric, restDelta)})
      </p>
      <ChartFrame
        label={`${item.label}: slice vs rest`}
        height={120}
        rows={item.series}
        rowKey={(p) => p.date}
        columns={[
          { header: 'Date', cell: (p) => p.date },
          { header: 'Slice', cell: (p) => formatMetric(item.metric, p.slice), numeric: true },
          { header: 'Rest', cell: (p) => formatMetric(item.metric, p.rest), numeric: true },
        ]}
        chart={
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={item.series} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
              <CartesianGrid stroke={chartColors.grid} vertical={false} />
              {x1 <= x2 && first ? <ReferenceArea x1={x1} x2={x2} fill={chartColors.incident.high} fillOpacity={0.5} ifOverflow="hidden" /> : null}
              <XAxis dataKey="date" tick={{ ...axisTick, fontSize: 10 }} tickFormatter={shortDate} minTickGap={20} />
              <YAxis
                domain={axis?.domain ?? ['auto', 'auto']}
                ticks={axis?.ticks}
                interval={0}
                tick={{ ...axisTick, fontSize: 10 }}
                width={44}
                tickFormatter={tickText}
              />
              <Tooltip formatter={(v, name) => [formatMetric(item.metric, Number(v)), name]} />
              <Line dataKey="slice" name="Slice" stroke={chartColors.secondary} dot={false} strokeWidth={2} connectNulls isAnimationActive={false} />
              <Line dataKey="rest" name="Rest" stroke={chartColors.muted} dot={false} strokeWidth={1.5} connectNulls isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        }
      />
    </li>
  );
}

/** Small multiples of every component metric, the incident slice against the rest of the marketplace. */
export function MetricBreakdown({ incident }: { incident: IncidentDetail }) {
  return (
    <Card
      title="Metric breakdown"
      description="Each component of the CX Score: the slice (orange) vs the rest of the marketplace (grey); the incident window is shaded."
      className="lg:col-span-2"
    >
      {incident.breakdown.length === 0 ? (
        <EmptyState title="No metric breakdown">The analysis stored no component metrics for this incident.</EmptyState>
      ) : (
        <ul className="grid gap-3 sm:grid-cols-2 xl:grid-cols-4">
          {incident.breakdown.map((item) =>
            item.needs.length ? (
              <Unavailable key={item.metric} item={item} />
            ) : (
              <Multiple key={item.metric} item={item} window={incident.window} />
            ),
          )}
        </ul>
      )}
    </Card>
  );
}
