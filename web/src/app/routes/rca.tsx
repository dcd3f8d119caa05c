import { useParams } from 'react-router';
import { IncidentSteps } from '@/components/layout/incident-steps';
import { PageHeader } from '@/components/layout/page-header';
import { LinkButton } from '@/components/ui/link-button';
import { useIncident } from '@/features/incidents/api/get-incident';
import { RcaView } from '@/features/rca/components/rca-view';
import { paths } from '@/lib/paths';

/** `/rca/:id`: why the incident happened, with the evidence. */
export function RcaRoute() {
  const { id = '' } = useParams();
  // Only to mark the DiD pre-period; the page does not wait for it or fail with it.
  const incident = useIncident(id);
  return (
    <div className="flex flex-col gap-6">
      <title>{`Root cause · ${id} · cxagent`}</title>
      <PageHeader
        eyebrow="Root cause analysis"
        title={`Root cause of ${id}`}
        description="Ranked causes with confidence, the evidence for each, and the narrative."
        actions={
          <>
            <LinkButton to={paths.incident.to(id)} variant="secondary">
              ← Incident
            </LinkButton>
            <LinkButton to={paths.recommendations.to(id)}>Recommendations →</LinkButton>
          </>
        }
      />
      <IncidentSteps id={id} />
      <RcaView id={id} incidentStart={incident.data?.window.start} />
    </div>
  );
}
