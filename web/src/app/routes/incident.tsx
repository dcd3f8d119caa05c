import { useParams } from 'react-router';
import { IncidentSteps } from '@/components/layout/incident-steps';
import { PageHeader } from '@/components/layout/page-header';
import { LinkButton } from '@/components/ui/link-button';
import { IncidentOverview } from '@/features/incidents/components/incident-overview';
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
        description="Metadata, the slices where CX dropped most, and the metric breakdown."
        actions={<LinkButton to={paths.rca.to(id)}>Root cause analysis →</LinkButton>}
      />
      <IncidentSteps id={id} />
      <IncidentOverview />
    </div>
  );
}
