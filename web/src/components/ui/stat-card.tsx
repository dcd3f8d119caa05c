import type { ReactNode } from 'react';

type StatCardProps = {
  label: string;
  /** The figure; leave it out when it is not known. */
  value?: ReactNode;
  /** A change shown next to the figure, coloured by whether it is good. */
  change?: { text: string; tone?: 'good' | 'bad' };
  /** One line under the figure: its context, or why it is missing. */
  hint: string;
  /** Show a skeleton instead of the figure. */
  loading?: boolean;
  tone?: 'error';
  /** More under the hint, e.g. a breakdown of the figure. */
  extra?: ReactNode;
};

const changeClass = { good: 'text-emerald-700 bg-emerald-50', bad: 'text-rose-700 bg-rose-50' } as const;

/** One quick figure for the dashboard's top row. */
export function StatCard({ label, value, change, hint, loading = false, tone, extra }: StatCardProps) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm" aria-busy={loading}>
      <dt className="text-sm font-medium text-slate-500">{label}</dt>
      <dd className="mt-2">
        {loading ? (
          <span data-testid="skeleton" className="block h-8 w-24 animate-pulse rounded bg-slate-200" />
        ) : (
          <span className="flex flex-wrap items-baseline gap-2">
            <span
              className={`text-2xl font-semibold tabular-nums ${value === undefined ? 'text-slate-300' : 'text-slate-900'}`}
            >
              {value ?? '—'}
            </span>
            {change ? (
              <span
                className={`rounded px-1.5 py-0.5 text-sm font-semibold tabular-nums ${change.tone ? changeClass[change.tone] : 'bg-slate-100 text-slate-700'}`}
              >
                {change.text}
              </span>
            ) : null}
          </span>
        )}
        <span className={`mt-1 block text-xs ${tone === 'error' ? 'text-rose-700' : 'text-slate-500'}`}>{hint}</span>
        {extra}
      </dd>
    </div>
  );
}
