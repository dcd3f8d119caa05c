import { SeverityBadge } from '@/components/ui/badge';
import { ErrorState } from '@/components/ui/error-state';
import { SliceText } from '@/components/ui/slice-text';
import { useUnconfirmed } from '@/features/incidents/api/get-unconfirmed';
import { formatInteger, formatMetricDelta, formatPercent } from '@/lib/format';
import type { UnconfirmedIncident } from '@/types/api';

export const UNCONFIRMED_TITLE = 'Unconfirmed regressions (no cause found, not alerted)';

const frame = 'rounded-xl border border-slate-200 bg-white px-5 py-3 text-sm shadow-sm';

function TopCause({ cause }: { cause: UnconfirmedIncident['top_cause'] }) {
  if (!cause) return <span className="text-slate-500">none reported</span>;
  return (
    <>
      {cause.label} <span className="text-slate-500 tabular-nums">· {formatPercent(cause.confidence)}</span>
    </>
  );
}

function Rows({ rows }: { rows: UnconfirmedIncident[] }) {
  return (
    <div className="-mx-5 mt-3 overflow-x-auto">
      <table className="w-full min-w-[640px] text-left text-sm">
        <caption className="sr-only">Unconfirmed regressions, newest first</caption>
        <thead className="border-b border-slate-200 text-xs text-slate-500">
          <tr>
            <th scope="col" className="px-5 py-2 font-medium">
              Incident
            </th>
            <th scope="col" className="px-5 py-2 font-medium">
              Slice
            </th>
            <th scope="col" className="px-5 py-2 font-medium">
              Dates
            </th>
            <th scope="col" className="px-5 py-2 text-right font-medium">
              CX delta
            </th>
            <th scope="col" className="px-5 py-2 font-medium">
              Top cause (confidence)
            </th>
            <th scope="col" className="px-5 py-2 font-medium">
              Why unconfirmed
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} className="border-b border-slate-100 last:border-0">
              {/* No link: the incident pages serve confirmed incidents only (the API answers 404). */}
              <td className="px-5 py-2 whitespace-nowrap">
                <span className="font-medium">{row.id}</span> <SeverityBadge severity={row.severity} />
              </td>
              <td className="px-5 py-2 font-mono text-xs">
                <SliceText text={row.slice_text} />
              </td>
              <td className="px-5 py-2 whitespace-nowrap tabular-nums">
                {row.start_date}
                {row.end_date ? ` – ${row.end_date}` : ' · ongoing'}
              </td>
              <td className={`px-5 py-2 text-right tabular-nums ${row.delta < 0 ? 'text-rose-700' : 'text-emerald-700'}`}>
                {formatMetricDelta(row.metric, row.delta)}
              </td>
              <td className="px-5 py-2">
                <TopCause cause={row.top_cause} />
              </td>
              <td className="px-5 py-2 text-slate-600">{row.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * `GET /api/unconfirmed` under the incidents: regressions the analysis found
 * but no cause explains, so nobody was alerted. Collapsed by default: they are
 * there to be checked on, not acted on.
 */
export function UnconfirmedIncidents() {
  const query = useUnconfirmed();
  if (query.isPending) {
    return (
      <section aria-label="Unconfirmed regressions" aria-busy="true" className={`${frame} text-slate-500`}>
        {UNCONFIRMED_TITLE}: loading…
      </section>
    );
  }
  if (query.isError) {
    return (
      <section aria-label="Unconfirmed regressions">
        <ErrorState title="Could not load the unconfirmed regressions" error={query.error} onRetry={() => void query.refetch()} />
      </section>
    );
  }
  const rows = query.data.unconfirmed;
  if (rows.length === 0) {
    return (
      <section aria-label="Unconfirmed regressions" className={`${frame} text-slate-600`}>
        {UNCONFIRMED_TITLE}: none
      </section>
    );
  }
  return (
    <section aria-label="Unconfirmed regressions" className={frame}>
      <details>
        <summary className="cursor-pointer rounded font-medium text-slate-700 select-none hover:text-slate-900">
          {UNCONFIRMED_TITLE}: {formatInteger(query.data.total)}
        </summary>
        <p className="mt-2 text-slate-600">
          The CX Score fell in these slices, but no cause the root-cause analysis tests reached its confidence
          threshold, and the drop is not of high severity. They get no alert and no recommendations; a later analysis
          lists one as an incident once a cause reaches the threshold or its severity becomes high.
        </p>
        <Rows rows={rows} />
      </details>
    </section>
  );
}
