import { CartesianGrid, Legend, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors, shortDate } from '@/components/charts/theme';
import { formatNumber } from '@/lib/format';
import { formatInterval } from '@/lib/interval';
import type { DidEvidence } from '@/types/api';

type DidChartProps = {
  evidence: DidEvidence;
  /** First day of the treatment (incident) period; the days before are the pre-period. */
  treatmentStart?: string;
};

/** Difference in differences: the treated slice against its controls, before and during the incident. */
export function DidChart({ evidence, treatmentStart }: DidChartProps) {
  const byDate = new Map<string, { date: string; treated?: number; control?: number }>();
  for (const p of evidence.treated) byDate.set(p.date, { date: p.date, treated: p.value });
  for (const p of evidence.control) byDate.set(p.date, { ...(byDate.get(p.date) ?? { date: p.date }), control: p.value });
  const rows = [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
  const first = rows[0]?.date;
  const preEnd = treatmentStart ? rows.filter((r) => r.date < treatmentStart).at(-1)?.date : undefined;
  return (
    <div className="flex flex-col gap-2">
      <h4 className="text-sm font-medium text-slate-900">Difference in differences</h4>
      <p className="text-xs text-slate-600 tabular-nums">
        Estimate {formatInterval(evidence.estimate, 2)}; placebo {formatNumber(evidence.placebo.estimate, 2)} (p ={' '}
        {formatNumber(evidence.placebo.p_value, 2)}). Controls: {evidence.controls.join(', ') || 'none'}.
      </p>
      <ChartFrame
        label="Treated vs control"
        height={200}
        rows={rows}
        rowKey={(r) => r.date}
        columns={[
          { header: 'Date', cell: (r) => r.date },
          { header: 'Treated', cell: (r) => (r.treated === undefined ? '—' : formatNumber(r.treated, 2)), numeric: true },
          { header: 'Control', cell: (r) => (r.control === undefined ? '—' : formatNumber(r.control, 2)), numeric: true },
        ]}
        caption={preEnd ? `Shaded: pre-period (to ${preEnd}).` : undefined}
        chart={
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid stroke={chartColors.grid} vertical={false} />
              {first && preEnd ? (
                <ReferenceArea x1={first} x2={preEnd} fill={chartColors.grid} fillOpacity={0.8} ifOverflow="hidden" label={{ value: 'pre-period', position: 'insideTopLeft', fontSize: 11, fill: chartColors.axis }} />
              ) : null}
              <XAxis dataKey="date" tick={axisTick} tickFormatter={shortDate} minTickGap={24} />
              <YAxis domain={['auto', 'auto']} tick={axisTick} width={40} />
              <Tooltip formatter={(v, name) => [formatNumber(Number(v), 2), name]} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Line dataKey="treated" name="Treated" stroke={chartColors.secondary} dot={false} strokeWidth={2} connectNulls isAnimationActive={false} />
              <Line dataKey="control" name="Control" stroke={chartColors.primary} dot={false} strokeWidth={2} strokeDasharray="5 3" connectNulls isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        }
      />
    </div>
  );
}
