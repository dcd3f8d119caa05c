import { Card } from '@/components/ui/card';
import { PendingContent } from '@/components/ui/pending-content';

/** Where the incident's metadata, slices and metric breakdown will be shown. */
export function IncidentOverview() {
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <Card title="Incident metadata" description="Metric, window, severity, baseline vs current.">
        <PendingContent>
          What regressed, since when, how badly and how sure the detector is.
        </PendingContent>
      </Card>
      <Card title="Top regressing slices" description="Where the drop is concentrated, best explanation first.">
        <PendingContent>
          A chart of the cohorts (region, vertical, courier type, …) that explain the regression.
        </PendingContent>
      </Card>
      <Card
        title="Metric breakdown"
        description="Each component of the CX Score, baseline vs current, with its daily series."
        className="lg:col-span-2"
      >
        <PendingContent>
          Charts of the component metrics (lateness, cancellations, defects, …) before and during the
          incident.
        </PendingContent>
      </Card>
      <Card title="Slice drill-down" description="Narrow the incident to one cohort." className="lg:col-span-2">
        <PendingContent>Pick a slice to see its own trend and breakdown.</PendingContent>
      </Card>
    </div>
  );
}
