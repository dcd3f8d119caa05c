import { SeverityBadge } from '@/components/ui/badge';
import { StatCard } from '@/components/ui/stat-card';
import { useIncidents } from '@/features/incidents/api/get-incidents';
import { formatInteger } from '@/lib/format';
import type { Severity } from '@/types/api';

const SEVERITIES: Severity[] = ['high', 'medium', 'low'];

/** Quick stat: open incidents, counted per severity by the API (`total` of a one-row page). */
export function OpenIncidentsStat() {
  const high = useIncidents({ status: 'open', severity: 'high', limit: 1 });
  const medium = useIncidents({ status: 'open', severity: 'medium', limit: 1 });
  const low = useIncidents({ status: 'open', severity: 'low', limit: 1 });
  const queries = [high, medium, low];
  const label = 'Open incidents';
  if (queries.some((q) => q.isPending)) return <StatCard label={label} loading hint="Loading…" />;
  const failed = queries.find((q) => q.isError);
  if (failed?.error) return <StatCard label={label} hint={`Unavailable: ${failed.error.message}`} tone="error" />;
  const counts = queries.map((q) => q.data?.total ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  return (
    <StatCard
      label={label}
      value={formatInteger(total)}
      hint={total ? 'Not yet acknowledged or resolved' : 'Nothing open: every incident is handled'}
      extra={
        <ul className="mt-2 flex flex-wrap gap-2" aria-label="Open incidents by severity">
          {SEVERITIES.map((severity, i) => (
            <li key={severity} className="inline-flex items-center gap-1 text-sm tabular-nums text-slate-700">
              <SeverityBadge severity={severity} /> {formatInteger(counts[i] ?? 0)}
            </li>
          ))}
        </ul>
      }
    />
  );
}
