import { QueryState } from '@/components/ui/query-state';
import { useIncident } from '@/features/incidents/api/get-incident';
import { Drilldown } from '@/features/incidents/components/drilldown';
import { IncidentMeta } from '@/features/incidents/components/incident-meta';
import { MetricBreakdown } from '@/features/incidents/components/metric-breakdown';
import { RelatedAlerts } from '@/features/incidents/components/related-alerts';
import { TopSlices } from '@/features/incidents/components/top-slices';

/** `GET /api/incidents/{id}` laid out: metadata and status, slices, breakdown, drill-down, alerts. */
export function IncidentDetailView({ id }: { id: string }) {
  const query = useIncident(id);
  return (
    <QueryState query={query} what={`incident ${id}`} skeletonClassName="h-96">
      {(incident) => (
        <div className="grid gap-6 lg:grid-cols-2">
          <IncidentMeta incident={incident} />
          <TopSlices incident={incident} />
          <MetricBreakdown incident={incident} />
          <Drilldown incident={incident} />
          <RelatedAlerts incident={incident} />
        </div>
      )}
    </QueryState>
  );
}
