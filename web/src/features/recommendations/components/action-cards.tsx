import { Bar, BarChart, CartesianGrid, ErrorBar, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors } from '@/components/charts/theme';
import { formatNumber, formatSigned } from '@/lib/format';
import { formatInterval } from '@/lib/interval';
import type { Efficiency, EfficiencyDelta, ParamValue, Recommendation, RecommendationKind } from '@/types/api';

const kindClass: Record<RecommendationKind, string> = {
  revert: 'bg-indigo-50 text-indigo-800 ring-indigo-200',
  improve: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
  mitigate: 'bg-amber-50 text-amber-900 ring-amber-200',
};

const efficiencyLabels: { key: keyof EfficiencyDelta; label: string }[] = [
  { key: 'cost_per_order', label: 'Cost per order' },
  { key: 'deliveries_per_dasher_hour', label: 'Deliveries per dasher hour' },
  { key: 'dasher_hours_per_delivery', label: 'Dasher hours per delivery' },
  { key: 'incentive_spend', label: 'Incentive spend' },
];

export function formatParams(params: Record<string, ParamValue>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}

/** Efficiency changes with their interval and, when the baseline is known, relative to it. */
export function EfficiencyList({ delta, baseline }: { delta: EfficiencyDelta; baseline?: Efficiency | null }) {
  return (
    <dl className="grid grid-cols-1 gap-x-4 gap-y-1 text-xs sm:grid-cols-2">
      {efficiencyLabels.map(({ key, label }) => {
        const d = delta[key];
        if (!d) return null;
        const base = baseline?.[key];
        const relative = base ? ` (${formatSigned((d.mean / base) * 100, 1)}%)` : '';
        return (
          <div key={key} className="flex flex-col">
            <dt className="text-slate-500">{label}</dt>
            <dd className="text-slate-800 tabular-nums" title={formatInterval(d, 2)}>
              {formatSigned(d.mean, 2)}
              {relative}
              <span className="text-slate-500">
                {' '}
                [{formatSigned(d.ci90[0], 2)}, {formatSigned(d.ci90[1], 2)}]
              </span>
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/** Expected CX change of every action as a bar with its 90% interval as an error bar. */
export function ExpectedCxChart({ recommendations }: { recommendations: Recommendation[] }) {
  const rows = recommendations.map((r) => ({
    id: r.id,
    name: `${r.id} (${r.kind})`,
    mean: r.expected_cx_delta.mean,
    // Offsets from the mean, as ErrorBar wants them.
    err: [r.expected_cx_delta.mean - r.expected_cx_delta.ci90[0], r.expected_cx_delta.ci90[1] - r.expected_cx_delta.mean],
    lo: r.expected_cx_delta.ci90[0],
    hi: r.expected_cx_delta.ci90[1],
  }));
  return (
    <ChartFrame
      label="Expected CX Score change per action, with 90% intervals"
      height={Math.max(120, rows.length * 40 + 40)}
      rows={rows}
      rowKey={(r) => r.id}
      columns={[
        { header: 'Action', cell: (r) => r.name },
        { header: 'Expected CX change', cell: (r) => formatSigned(r.mean), numeric: true },
        { header: '90% low', cell: (r) => formatSigned(r.lo), numeric: true },
        { header: '90% high', cell: (r) => formatSigned(r.hi), numeric: true },
      ]}
      chart={
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} layout="vertical" margin={{ left: 8, right: 24 }}>
            <CartesianGrid stroke={chartColors.grid} horizontal={false} />
            <XAxis type="number" tick={axisTick} tickFormatter={(v: number) => formatNumber(v, 1)} />
            <YAxis type="category" dataKey="name" width={150} tick={axisTick} />
            <ReferenceLine x={0} stroke={chartColors.axis} />
            <Tooltip formatter={(v) => [`${formatSigned(Number(v))} CX pts`, 'Expected change']} />
            <Bar dataKey="mean" name="Expected CX change" fill={chartColors.primary} barSize={16} isAnimationActive={false}>
              <ErrorBar dataKey="err" direction="x" width={6} stroke={chartColors.axis} strokeWidth={1.5} />
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      }
    />
  );
}

type ActionCardsProps = {
  recommendations: Recommendation[];
  baseline?: Efficiency | null;
  selected: string | undefined;
  onSelect: (id: string) => void;
};

/** One card per action, ranked; choosing one picks the action whose experiment plan is exported. */
export function ActionCards({ recommendations, baseline, selected, onSelect }: ActionCardsProps) {
  return (
    <fieldset>
      <legend className="sr-only">Action to plan an experiment for</legend>
      <ol className="grid gap-3 xl:grid-cols-2">
        {recommendations.map((rec, index) => (
          <li
            key={rec.id}
            aria-label={`${rec.id}: ${rec.action}`}
            className={`flex flex-col gap-2 rounded-lg border p-4 ${selected === rec.id ? 'border-indigo-500 ring-1 ring-indigo-500' : 'border-slate-200'}`}
          >
            <div className="flex flex-wrap items-center gap-2">
              <span className="text-xs font-semibold text-slate-500">#{index + 1}</span>
              <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${kindClass[rec.kind] ?? kindClass.revert}`}>
                {rec.kind}
              </span>
              <code className="text-xs text-slate-500">{rec.id}</code>
              <span className="text-xs text-slate-500">cause: {rec.cause}</span>
            </div>
            <h3 className="text-sm font-semibold text-slate-900">{rec.action}</h3>
            <p className="text-xs text-slate-600">
              <code>{rec.template}</code>
              {Object.keys(rec.params).length ? ` · ${formatParams(rec.params)}` : ''}
            </p>
            <p className="text-sm tabular-nums">
              <span className="text-slate-500">Expected CX change: </span>
              <span className={`font-semibold ${rec.expected_cx_delta.mean >= 0 ? 'text-emerald-700' : 'text-rose-700'}`}>
                {formatInterval(rec.expected_cx_delta)}
              </span>
            </p>
            <EfficiencyList delta={rec.efficiency_delta} baseline={baseline} />
            {rec.cx_per_cost !== null && rec.cx_per_cost !== undefined ? (
              <p className="text-xs text-slate-600 tabular-nums">CX points per unit of cost: {formatNumber(rec.cx_per_cost, 2)}</p>
            ) : null}
            <label className="mt-1 inline-flex cursor-pointer items-center gap-2 text-sm text-slate-700">
              <input
                type="radio"
                name="plan-recommendation"
                value={rec.id}
                checked={selected === rec.id}
                onChange={() => onSelect(rec.id)}
                className="accent-indigo-600"
              />
              Plan an experiment for {rec.id}
            </label>
          </li>
        ))}
      </ol>
    </fieldset>
  );
}
