import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors, shortDate } from '@/components/charts/theme';
import { formatMetric } from '@/lib/format';
import { formatInterval } from '@/lib/interval';
import type { DriverShiftEvidence } from '@/types/api';

/** The suspected driver's daily series, its level before and after, and the change point. */
export function DriverShiftChart({ evidence }: { evidence: DriverShiftEvidence }) {
  // change_date is null when the engine found the shift but no single day it started on.
  const { metric, series, change_date: changeDate } = evidence;
  const first = series[0]?.date;
  const last = series.at(-1)?.date;
  const deltaText = metric.endsWith('_rate')
    ? formatInterval({ mean: evidence.delta.mean * 100, ci90: [evidence.delta.ci90[0] * 100, evidence.delta.ci90[1] * 100] }, 1, ' pp')
    : formatInterval(evidence.delta, 2);
  return (
    <div className="flex flex-col gap-2">
      <h4 className="text-sm font-medium text-slate-900">Driver before / after: {evidence.label}</h4>
      <p className="text-xs text-slate-600 tabular-nums">
        {formatMetric(metric, evidence.before)} → {formatMetric(metric, evidence.after)}, change {deltaText};{' '}
        {changeDate ? `change point ${changeDate}` : 'no single change point'}
      </p>
      <ChartFrame
        label={changeDate ? `${evidence.label} before and after ${changeDate}` : `${evidence.label}, daily`}
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
              {first && changeDate ? (
                <ReferenceLine
                  segment={[
                    { x: first, y: evidence.before },
                    { x: changeDate, y: evidence.before },
                  ]}
                  stroke={chartColors.muted}
                  strokeDasharray="4 3"
                  ifOverflow="extendDomain"
                />
              ) : null}
              {last && changeDate ? (
                <ReferenceLine
                  segment={[
                    { x: changeDate, y: evidence.after },
                    { x: last, y: evidence.after },
                  ]}
                  stroke={chartColors.secondary}
                  strokeDasharray="4 3"
                  ifOverflow="extendDomain"
                />
              ) : null}
              {changeDate ? (
                <ReferenceLine
                  x={changeDate}
                  stroke={chartColors.bad}
                  label={{ value: `change ${shortDate(changeDate)}`, position: 'top', fontSize: 11, fill: chartColors.axis }}
                />
              ) : null}
              <Line dataKey="value" name={evidence.label} stroke={chartColors.primary} dot={false} strokeWidth={2} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        }
      />
    </div>
  );
}
