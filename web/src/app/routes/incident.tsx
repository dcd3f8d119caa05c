import { useParams } from 'react-router';
import { IncidentSteps } from '@/components/layout/incident-steps';
import { PageHeader } from '@/components/layout/page-header';
import { LinkButton } from '@/components/ui/link-button';
import { IncidentDetailView } from '@/features/incidents/components/incident-detail';
import { paths } from '@/lib/paths';

/** `/incidents/:id`: what regressed, where, and how the metric broke down. */
export function IncidentRoute() {
  const { id = '' } = useParams();
  return (
    <div className="flex flex-col gap-6">
      <title>{`Incident ${id} · cxagent`}</title>
      <PageHeader
        eyebrow="Incident"
        title={`Incident ${id}`}
        description="Metadata and status, the slices where CX dropped most, the metric breakdown and a drill-down."
        actions={<LinkButton to={paths.rca.to(id)}>Root cause analysis →</LinkButton>}
      />
      <IncidentSteps id={id} />
      <IncidentDetailView id={id} />
    </div>
  );
}
