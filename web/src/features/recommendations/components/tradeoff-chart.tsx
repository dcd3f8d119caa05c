import {
  CartesianGrid,
  ErrorBar,
  LabelList,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors } from '@/components/charts/theme';
import { formatNumber, formatSigned } from '@/lib/format';
import type { Interval, Recommendation, Tradeoff, WhatIfResult } from '@/types/api';

export type TradeoffPointRow = {
  key: string;
  series: string;
  name: string;
  x: number;
  y: number;
  xErr: [number, number];
  yErr: [number, number];
  cost: Interval;
  cx: Interval;
};

const SWEEP_COLORS = [chartColors.primary, '#0891b2', '#7c3aed', '#65a30d'];

const errors = (i: Interval): [number, number] => [i.mean - i.ci90[0], i.ci90[1] - i.mean];

function row(series: string, name: string, cost: Interval, cx: Interval): TradeoffPointRow {
  return { key: `${series}|${name}`, series, name, x: cost.mean, y: cx.mean, xErr: errors(cost), yErr: errors(cx), cost, cx };
}

/** Every plotted point, for the chart and its data table. */
export function tradeoffRows(tradeoffs: Tradeoff[], recommendations: Recommendation[], whatIf?: WhatIfResult | null) {
  const sweeps = tradeoffs.map((t) => ({
    name: `${t.template} · ${t.param}`,
    rows: t.points.map((p) => row(`${t.template} · ${t.param}`, `${t.param}=${p.value}`, p.cost_per_order_delta, p.cx_delta)),
  }));
  const recs = recommendations
    .filter((r) => r.efficiency_delta?.cost_per_order)
    .map((r) => row('Recommended', r.id, r.efficiency_delta.cost_per_order, r.expected_cx_delta));
  const simulated = whatIf
    ? [row('What-if', Object.entries(whatIf.params).map(([k, v]) => `${k}=${String(v)}`).join(', ') || whatIf.template, whatIf.efficiency_delta.cost_per_order, whatIf.expected_cx_delta)]
    : [];
  return { sweeps, recs, simulated };
}

type TradeoffChartProps = {
  tradeoffs: Tradeoff[];
  recommendations: Recommendation[];
  whatIf?: WhatIfResult | null;
};

/** CX gain against cost per order across each parameter sweep, the recommended actions and the current what-if. */
export function TradeoffChart({ tradeoffs, recommendations, whatIf }: TradeoffChartProps) {
  const { sweeps, recs, simulated } = tradeoffRows(tradeoffs, recommendations, whatIf);
  const all = [...sweeps.flatMap((s) => s.rows), ...recs, ...simulated];
  return (
    <ChartFrame
      label="CX vs efficiency tradeoff"
      height={300}
      rows={all}
      rowKey={(r) => r.key}
      columns={[
        { header: 'Series', cell: (r) => r.series },
        { header: 'Point', cell: (r) => r.name },
        { header: 'Cost per order change', cell: (r) => `${formatSigned(r.cost.mean, 2)} [${formatSigned(r.cost.ci90[0], 2)}, ${formatSigned(r.cost.ci90[1], 2)}]`, numeric: true },
        { header: 'CX change', cell: (r) => `${formatSigned(r.cx.mean)} [${formatSigned(r.cx.ci90[0])}, ${formatSigned(r.cx.ci90[1])}]`, numeric: true },
      ]}
      caption="Up is better CX, left is cheaper; bars are 90% intervals. Each sweep joins one parameter's values."
      chart={
        <ResponsiveContainer width="100%" height="100%">
          <ScatterChart margin={{ top: 8, right: 16, bottom: 16, left: 0 }}>
            <CartesianGrid stroke={chartColors.grid} />
            <XAxis
              type="number"
              dataKey="x"
              name="Cost per order change"
              tick={axisTick}
              domain={['auto', 'auto']}
              tickFormatter={(v: number) => formatNumber(v, 2)}
              label={{ value: 'Cost per order change', position: 'insideBottom', offset: -8, fontSize: 12, fill: chartColors.axis }}
            />
            <YAxis
              type="number"
              dataKey="y"
              name="CX change"
              tick={axisTick}
              width={56}
              domain={['auto', 'auto']}
              tickFormatter={(v: number) => formatNumber(v, 1)}
              label={{ value: 'CX change', angle: -90, position: 'insideLeft', offset: 4, fontSize: 12, fill: chartColors.axis }}
            />
            <ReferenceLine x={0} stroke={chartColors.muted} />
            <ReferenceLine y={0} stroke={chartColors.muted} />
            <Tooltip
              cursor={{ strokeDasharray: '3 3' }}
              content={({ active, payload }) => {
                const point = active ? (payload?.[0]?.payload as TradeoffPointRow | undefined) : undefined;
                if (!point) return null;
                return (
                  <div className="rounded border border-slate-200 bg-white px-2 py-1 text-xs shadow">
                    <p className="font-medium">
                      {point.series}: {point.name}
                    </p>
                    <p>CX {formatSigned(point.y)} · cost/order {formatSigned(point.x, 2)}</p>
                  </div>
                );
              }}
            />
            <Legend verticalAlign="top" wrapperStyle={{ fontSize: 12 }} />
            {sweeps.map((sweep, i) => (
              <Scatter
                key={sweep.name}
                name={sweep.name}
                data={sweep.rows}
                fill={SWEEP_COLORS[i % SWEEP_COLORS.length]}
                line={{ stroke: SWEEP_COLORS[i % SWEEP_COLORS.length], strokeWidth: 1.5 }}
                isAnimationActive={false}
              >
                <ErrorBar dataKey="yErr" direction="y" width={4} stroke={chartColors.muted} />
                <ErrorBar dataKey="xErr" direction="x" width={4} stroke={chartColors.muted} />
                <LabelList dataKey="name" position="right" offset={8} fontSize={11} fill={chartColors.axis} />
              </Scatter>
            ))}
            {recs.length ? (
              <Scatter name="Recommended" data={recs} fill={chartColors.good} shape="diamond" isAnimationActive={false}>
                <ErrorBar dataKey="yErr" direction="y" width={4} stroke={chartColors.good} />
              </Scatter>
            ) : null}
            {simulated.length ? (
              <Scatter name="What-if" data={simulated} fill={chartColors.secondary} shape="star" isAnimationActive={false}>
                <ErrorBar dataKey="yErr" direction="y" width={6} stroke={chartColors.secondary} />
                <ErrorBar dataKey="xErr" direction="x" width={6} stroke={chartColors.secondary} />
              </Scatter>
            ) : null}
          </ScatterChart>
        </ResponsiveContainer>
      }
    />
  );
}
