import type { ReactNode } from 'react';

type StatCardProps = {
  label: string;
  /** The figure; leave it out when it is not known yet. */
  value?: ReactNode;
  /** One line under the figure: its context, or why it is missing. */
  hint: string;
};

/** One quick figure for the dashboard's top row. */
export function StatCard({ label, value, hint }: StatCardProps) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
      <dt className="text-sm font-medium text-slate-500">{label}</dt>
      <dd className="mt-2">
        <span className={`block text-2xl font-semibold tabular-nums ${value === undefined ? 'text-slate-300' : 'text-slate-900'}`}>
          {value ?? '—'}
        </span>
        <span className="mt-1 block text-xs text-slate-500">{hint}</span>
      </dd>
    </div>
  );
}
