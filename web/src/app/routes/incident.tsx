import type { ReactNode } from 'react';
import { Navigate, useParams, useSearchParams } from 'react-router';
import { IncidentSteps } from '@/components/layout/incident-steps';
import { PageHeader } from '@/components/layout/page-header';
import { EmptyState } from '@/components/ui/empty-state';
import { LinkButton } from '@/components/ui/link-button';
import { QueryState } from '@/components/ui/query-state';
import { SliceText } from '@/components/ui/slice-text';
import { useResolveIncident } from '@/features/incidents/api/resolve-incident';
import { IncidentDetailView } from '@/features/incidents/components/incident-detail';
import { type IncidentIdentity, identityFromSearch } from '@/features/incidents/lib/linked-incident';
import { paths } from '@/lib/paths';

/** `/incidents/:id`: what regressed, where, and how the metric broke down. */
export function IncidentRoute() {
  const { id = '' } = useParams();
  const [search] = useSearchParams();
  const identity = identityFromSearch(search);
  return identity ? <LinkedIncident id={id} identity={identity} search={search} /> : <IncidentPage id={id} />;
}

function IncidentPage({ id }: { id: string }) {
  return (
    <IncidentFrame
      id={id}
      description="Metadata and status, the slices where CX dropped most, the metric breakdown and a drill-down."
      actions={<LinkButton to={paths.rca.to(id)}>Root cause analysis →</LinkButton>}
    >
      <IncidentSteps id={id} />
      <IncidentDetailView id={id} />
    </IncidentFrame>
  );
}

/** The title and header every state of the page shares. */
function IncidentFrame({ id, description, actions, children }: { id: string; description: string; actions: ReactNode; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-6">
      <title>{`Incident ${id} · cxagent`}</title>
      <PageHeader eyebrow="Incident" title={`Incident ${id}`} description={description} actions={actions} />
      {children}
    </div>
  );
}

/**
 * A notification's link: `?metric=&slice=&start=` say which incident it was
 * sent for, since a later analysis may give that incident another id (ids
 * are ranks). The server says which incident of the current analysis they
 * name (matched as triage states are); the page shows it under its current
 * id, or says that the current analysis no longer has it; never another
 * incident that happens to hold the old id.
 */
function LinkedIncident({ id, identity, search }: { id: string; identity: IncidentIdentity; search: URLSearchParams }) {
  const resolved = useResolveIncident(identity);
  return (
    <QueryState query={resolved} what={`incident ${id}`} skeletonLines={4}>
      {(answer) => {
        if (answer.incident === null) return <NoLongerDetected id={id} identity={identity} reason={answer.reason} />;
        const current = answer.incident.id;
        if (current !== id) return <Navigate replace to={`${paths.incident.to(current)}?${search.toString()}`} />;
        return <IncidentPage id={id} />;
      }}
    </QueryState>
  );
}

function NoLongerDetected({ id, identity, reason }: { id: string; identity: IncidentIdentity; reason: string }) {
  return (
    <IncidentFrame
      id={id}
      description="The incident a notification was sent for."
      actions={<LinkButton to={paths.dashboard.to()}>All incidents →</LinkButton>}
    >
      <EmptyState title="The current analysis no longer has this incident">
        <p>
          The link was sent for <code>{identity.metric}</code> in <SliceText text={identity.slice} /> since {identity.start}.
        </p>
        <p>The server says: {reason}.</p>
      </EmptyState>
    </IncidentFrame>
  );
}
