import { useId } from 'react';
import { Link, useSearchParams } from 'react-router';
import { SeverityBadge, StatusBadge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { ErrorState } from '@/components/ui/error-state';
import { Skeleton } from '@/components/ui/skeleton';
import { useIncidents } from '@/features/incidents/api/get-incidents';
import { defaultDir, isSortKey, sortIncidents, type SortDir, type SortKey } from '@/features/incidents/lib/sort-incidents';
import { formatInteger, formatMetricDelta, humanize } from '@/lib/format';
import { paths } from '@/lib/paths';
import type { IncidentListParams, IncidentStatus, Severity } from '@/types/api';

/** Rows fetched per filter set; sorting and paging happen over these. */
export const FETCH_LIMIT = 200;
export const PAGE_SIZE = 20;

const SEVERITIES: Severity[] = ['high', 'medium', 'low'];
const STATUSES: IncidentStatus[] = ['open', 'acknowledged', 'resolved'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const columns: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'id', label: 'Incident' },
  { key: 'severity', label: 'Severity' },
  { key: 'metric', label: 'Metric' },
  { key: 'slice', label: 'Slice' },
  { key: 'start_date', label: 'Start' },
  { key: 'delta', label: 'CX delta', numeric: true },
  { key: 'status', label: 'Status' },
];

/** The list's state lives in the URL, so a filtered, sorted page can be shared. */
function useListState() {
  const [search, setSearch] = useSearchParams();
  const pick = <T extends string>(name: string, allowed: readonly T[]) => {
    const value = search.get(name);
    return allowed.find((a) => a === value);
  };
  const date = (name: string) => {
    const value = search.get(name);
    return value && DATE.test(value) ? value : undefined;
  };
  const sortParam = search.get('sort');
  const sort = isSortKey(sortParam) ? sortParam : null;
  const dir: SortDir = search.get('dir') === 'asc' ? 'asc' : search.get('dir') === 'desc' ? 'desc' : sort ? defaultDir(sort) : 'desc';
  const page = Math.max(1, Number.parseInt(search.get('page') ?? '1', 10) || 1);
  const filters: IncidentListParams = {
    severity: pick('severity', SEVERITIES),
    status: pick('status', STATUSES),
    start_date: date('start_date'),
    end_date: date('end_date'),
  };
  const update = (changes: Record<string, string | undefined>) => {
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [key, value] of Object.entries(changes)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        return next;
      },
      { replace: true, preventScrollReset: true },
    );
  };
  return { filters, sort, dir, page, update };
}

function FilterSelect({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string | undefined;
  options: readonly string[];
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-slate-600">
        {label}
      </label>
      <select
        id={id}
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
      >
        <option value="">All</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

function DateFilter({ label, value, onChange }: { label: string; value: string | undefined; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-slate-600">
        {label}
      </label>
      <input
        id={id}
        type="date"
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
      />
    </div>
  );
}

/** The dashboard's incidents: filterable, sortable, paginated, each row linking to its incident. */
export function IncidentsTable() {
  const { filters, sort, dir, page, update } = useListState();
  const query = useIncidents({ ...filters, limit: FETCH_LIMIT });
  const filtered = Object.values(filters).some(Boolean);

  const setFilter = (name: string) => (value: string) => update({ [name]: value || undefined, page: undefined });
  const sortBy = (key: SortKey) => {
    const nextDir = sort === key ? (dir === 'asc' ? 'desc' : 'asc') : defaultDir(key);
    update({ sort: key, dir: nextDir, page: undefined });
  };

  const rows = query.data ? (sort ? sortIncidents(query.data.incidents, sort, dir) : query.data.incidents) : [];
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const current = Math.min(page, pages);
  const shown = rows.slice((current - 1) * PAGE_SIZE, current * PAGE_SIZE);

  let body;
  if (query.isPending) body = <Skeleton label="Loading the incidents" lines={6} />;
  else if (query.isError) {
    body = <ErrorState title="Could not load the incidents" error={query.error} onRetry={() => void query.refetch()} />;
  } else if (rows.length === 0) {
    body = (
      <EmptyState title={filtered ? 'No incident matches these filters' : 'No incidents detected'}>
        {filtered ? 'Widen the filters to see more.' : 'The analysis found no CX regression in the data set.'}
      </EmptyState>
    );
  } else {
    body = (
      <>
        <div className="-mx-5 overflow-x-auto">
          <table className="w-full min-w-[720px] text-left text-sm" aria-busy={query.isFetching}>
            <caption className="sr-only">
              Incidents{sort ? `, sorted by ${columns.find((c) => c.key === sort)?.label} ${dir === 'asc' ? 'ascending' : 'descending'}` : ', most severe first, then newest'}
            </caption>
            <thead className="border-b border-slate-200 text-xs text-slate-500">
              <tr>
                {columns.map((column) => (
                  <th
                    key={column.key}
                    scope="col"
                    aria-sort={sort === column.key ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}
                    className={`px-5 py-2 font-medium ${column.numeric ? 'text-right' : ''}`}
                  >
                    <button
                      type="button"
                      onClick={() => sortBy(column.key)}
                      className="inline-flex items-center gap-1 rounded hover:text-slate-900"
                    >
                      {column.label}
                      <span aria-hidden="true" className="text-slate-400">
                        {sort === column.key ? (dir === 'asc' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((incident) => (
                <tr key={incident.id} className="border-b border-slate-100 last:border-0 hover:bg-slate-50">
                  <td className="px-5 py-2.5 font-medium whitespace-nowrap">
                    <Link to={paths.incident.to(incident.id)} className="text-indigo-700 underline-offset-2 hover:underline">
                      {incident.id}
                    </Link>
                  </td>
                  <td className="px-5 py-2.5">
                    <SeverityBadge severity={incident.severity} />
                  </td>
                  <td className="px-5 py-2.5 whitespace-nowrap">{humanize(incident.metric)}</td>
                  <td className="max-w-64 truncate px-5 py-2.5 font-mono text-xs" title={incident.slice_text}>
                    {incident.slice_text}
                  </td>
                  <td className="px-5 py-2.5 whitespace-nowrap tabular-nums">
                    {incident.start_date}
                    {incident.end_date ? ` – ${incident.end_date}` : ' · ongoing'}
                  </td>
                  <td
                    className={`px-5 py-2.5 text-right font-medium tabular-nums ${incident.delta < 0 ? 'text-rose-700' : 'text-emerald-700'}`}
                  >
                    {formatMetricDelta(incident.metric, incident.delta)}
                  </td>
                  <td className="px-5 py-2.5">
                    <StatusBadge status={incident.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <nav aria-label="Incident pages" className="mt-4 flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600">
          <p>
            {formatInteger((current - 1) * PAGE_SIZE + 1)}–{formatInteger((current - 1) * PAGE_SIZE + shown.length)} of{' '}
            {formatInteger(query.data.total)}
            {query.data.total > rows.length ? ` (sorting and paging the ${formatInteger(rows.length)} most severe; narrow the filters for the rest)` : ''}
          </p>
          <div className="flex items-center gap-2">
            <Button variant="secondary" disabled={current <= 1} onClick={() => update({ page: current - 1 > 1 ? String(current - 1) : undefined })}>
              ← Previous
            </Button>
            <span aria-current="page">
              Page {current} of {pages}
            </span>
            <Button variant="secondary" disabled={current >= pages} onClick={() => update({ page: String(current + 1) })}>
              Next →
            </Button>
          </div>
        </nav>
      </>
    );
  }

  return (
    <Card
      title="Incidents"
      description="CX regressions the analysis found, most severe first, then newest. Click a column to sort."
    >
      <form role="search" aria-label="Filter incidents" className="mb-4 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect label="Severity" value={filters.severity} options={SEVERITIES} onChange={setFilter('severity')} />
        <FilterSelect label="Status" value={filters.status} options={STATUSES} onChange={setFilter('status')} />
        <DateFilter label="From" value={filters.start_date} onChange={setFilter('start_date')} />
        <DateFilter label="To" value={filters.end_date} onChange={setFilter('end_date')} />
        {filtered ? (
          <Button
            variant="secondary"
            onClick={() => update({ severity: undefined, status: undefined, start_date: undefined, end_date: undefined, page: undefined })}
          >
            Clear filters
          </Button>
        ) : null}
      </form>
      {body}
    </Card>
  );
}
