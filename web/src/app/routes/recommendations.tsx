import { useParams } from 'react-router';
import { IncidentSteps } from '@/components/layout/incident-steps';
import { PageHeader } from '@/components/layout/page-header';
import { LinkButton } from '@/components/ui/link-button';
import { RecommendationsView } from '@/features/recommendations/components/recommendations-view';
import { paths } from '@/lib/paths';

/** `/recommendations/:id`: what to do about the incident, and at what cost. */
export function RecommendationsRoute() {
  const { id = '' } = useParams();
  return (
    <div className="flex flex-col gap-6">
      <title>{`Recommendations · ${id} · cxagent`}</title>
      <PageHeader
        eyebrow="Recommendations"
        title={`Recommendations for ${id}`}
        description="Actions with their expected CX effect and interval, tradeoffs, and a what-if simulator."
        actions={
          <LinkButton to={paths.rca.to(id)} variant="secondary">
            ← Root cause
          </LinkButton>
        }
      />
      <IncidentSteps id={id} />
      <RecommendationsView id={id} />
    </div>
  );
}
