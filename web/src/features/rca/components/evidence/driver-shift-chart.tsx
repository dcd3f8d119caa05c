import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors, shortDate } from '@/components/charts/theme';
import { formatMetric } from '@/lib/format';
import { formatInterval } from '@/lib/interval';
import type { DriverShiftEvidence } from '@/types/api';

/** The suspected driver's daily series, its level before and after, and the change point. */
export function DriverShiftChart({ evidence }: { evidence: DriverShiftEvidence }) {
  const { metric, series } = evidence;
  const first = series[0]?.date;
  const last = series.at(-1)?.date;
  const deltaText = metric.endsWith('_rate')
    ? formatInterval({ mean: evidence.delta.mean * 100, ci90: [evidence.delta.ci90[0] * 100, evidence.delta.ci90[1] * 100] }, 1, ' pp')
    : formatInterval(evidence.delta, 2);
  return (
    <div className="flex flex-col gap-2">
      <h4 className="text-sm font-medium text-slate-900">Driver before / after: {evidence.label}</h4>
      <p className="text-xs text-slate-600 tabular-nums">
        {formatMetric(metric, evidence.before)} → {formatMetric(metric, evidence.after)}, change {deltaText}; change point{' '}
        {evidence.change_date}
      </p>
      <ChartFrame
        label={`${evidence.label} before and after ${evidence.change_date}`}
        height={200}
        rows={series}
        rowKey={(p) => p.date}
        columns={[
          { header: 'Date', cell: (p) => p.date },
          { header: evidence.label, cell: (p) => formatMetric(metric, p.value, 2), numeric: true },
        ]}
        chart={
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={series} margin={{ top: 16, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid stroke={chartColors.grid} vertical={false} />
              <XAxis dataKey="date" tick={axisTick} tickFormatter={shortDate} minTickGap={24} />
              <YAxis domain={['auto', 'auto']} tick={axisTick} width={48} tickFormatter={(v: number) => formatMetric(metric, v, 0)} />
              <Tooltip formatter={(v) => [formatMetric(metric, Number(v), 2), evidence.label]} />
              {first ? (
                <ReferenceLine
                  segment={[
                    { x: first, y: evidence.before },
                    { x: evidence.change_date, y: evidence.before },
                  ]}
                  stroke={chartColors.muted}
                  strokeDasharray="4 3"
                  ifOverflow="extendDomain"
                />
              ) : null}
              {last ? (
                <ReferenceLine
                  segment={[
                    { x: evidence.change_date, y: evidence.after },
                    { x: last, y: evidence.after },
                  ]}
                  stroke={chartColors.secondary}
                  strokeDasharray="4 3"
                  ifOverflow="extendDomain"
                />
              ) : null}
              <ReferenceLine
                x={evidence.change_date}
                stroke={chartColors.bad}
                label={{ value: `change ${shortDate(evidence.change_date)}`, position: 'top', fontSize: 11, fill: chartColors.axis }}
              />
              <Line dataKey="value" name={evidence.label} stroke={chartColors.primary} dot={false} strokeWidth={2} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        }
      />
    </div>
  );
}
