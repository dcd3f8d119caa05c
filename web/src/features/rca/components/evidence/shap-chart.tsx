import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors } from '@/components/charts/theme';
import { formatNumber, formatSigned } from '@/lib/format';
import type { ShapEvidence } from '@/types/api';

/** Mean SHAP contribution per feature, incident orders minus baseline orders, in CX points. */
export function ShapChart({ evidence }: { evidence: ShapEvidence }) {
  const rows = [...evidence.features].sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta));
  const explained = rows.reduce((sum, f) => sum + f.delta, 0);
  return (
    <div className="flex flex-col gap-2">
      <h4 className="text-sm font-medium text-slate-900">SHAP attribution</h4>
      <p className="text-xs text-slate-600">
        Change in each feature&apos;s mean contribution to the CX Score, incident vs baseline orders; together{' '}
        {formatSigned(explained, 2)} CX points.
      </p>
      <ChartFrame
        label="SHAP attribution by feature"
        height={Math.max(140, rows.length * 32 + 40)}
        rows={rows}
        rowKey={(f) => f.feature}
        columns={[
          { header: 'Feature', cell: (f) => f.label },
          { header: 'Baseline', cell: (f) => formatNumber(f.baseline, 2), numeric: true },
          { header: 'Incident', cell: (f) => formatNumber(f.incident, 2), numeric: true },
          { header: 'Change', cell: (f) => formatSigned(f.delta, 2), numeric: true },
        ]}
        chart={
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={rows} layout="vertical" margin={{ left: 8, right: 24 }}>
              <CartesianGrid stroke={chartColors.grid} horizontal={false} />
              <XAxis type="number" tick={axisTick} tickFormatter={(v: number) => formatNumber(v, 1)} />
              <YAxis type="category" dataKey="label" width={160} tick={axisTick} />
              <ReferenceLine x={0} stroke={chartColors.axis} />
              <Tooltip formatter={(v) => [`${formatSigned(Number(v), 2)} CX pts`, 'Change']} />
              <Bar dataKey="delta" name="Change" isAnimationActive={false}>
                {rows.map((f) => (
                  <Cell key={f.feature} fill={f.delta < 0 ? chartColors.bad : chartColors.good} />
                ))}
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        }
      />
    </div>
  );
}
