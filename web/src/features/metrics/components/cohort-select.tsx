import { useId } from 'react';
import { useCohorts } from '@/features/metrics/api/get-cohorts';

type CohortSelectProps = {
  /** Slice text, e.g. "region=seattle"; empty for all orders. */
  value: string;
  onChange: (cohort: string) => void;
};

/** All orders, or one value of one dimension, from `GET /api/metrics/cohorts`. */
export function CohortSelect({ value, onChange }: CohortSelectProps) {
  const id = useId();
  const cohorts = useCohorts();
  const dimensions = cohorts.data?.dimensions ?? [];
  const known = value === '' || dimensions.some((d) => d.values.some((v) => `${d.name}=${v}` === value));
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-slate-600">
        Cohort
      </label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        disabled={cohorts.isPending}
        aria-describedby={cohorts.isError ? `${id}-error` : undefined}
        className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900"
      >
        <option value="">All orders</option>
        {/* A shared URL may name a cohort the list does not have: keep it selectable. */}
        {!known ? <option value={value}>{value}</option> : null}
        {dimensions.map((dimension) => (
          <optgroup key={dimension.name} label={dimension.name}>
            {dimension.values.map((v) => (
              <option key={v} value={`${dimension.name}=${v}`}>
                {dimension.name}={v}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      {cohorts.isError ? (
        <p id={`${id}-error`} role="alert" className="text-xs text-rose-700">
          Cohorts unavailable: {cohorts.error.message}
        </p>
      ) : null}
    </div>
  );
}
