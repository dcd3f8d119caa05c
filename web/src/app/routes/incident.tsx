import type { ReactNode } from 'react';
import { Navigate, useParams, useSearchParams } from 'react-router';
import { IncidentSteps } from '@/components/layout/incident-steps';
import { PageHeader } from '@/components/layout/page-header';
import { EmptyState } from '@/components/ui/empty-state';
import { LinkButton } from '@/components/ui/link-button';
import { QueryState } from '@/components/ui/query-state';
import { SliceText } from '@/components/ui/slice-text';
import { useIncidents } from '@/features/incidents/api/get-incidents';
import { IncidentDetailView } from '@/features/incidents/components/incident-detail';
import {
  type IncidentIdentity,
  identityFromSearch,
  matchIncident,
  shiftDate,
  START_TOLERANCE_DAYS,
} from '@/features/incidents/lib/linked-incident';
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
 * are ranks). The page shows the incident they identify, under its current
 * id, or says that the current analysis no longer has it; never another
 * incident that happens to hold the old id.
 */
function LinkedIncident({ id, identity, search }: { id: string; identity: IncidentIdentity; search: URLSearchParams }) {
  const candidates = useIncidents({
    start_date: shiftDate(identity.start, -START_TOLERANCE_DAYS),
    end_date: shiftDate(identity.start, START_TOLERANCE_DAYS),
    limit: 500,
  });
  return (
    <QueryState query={candidates} what={`incident ${id}`} skeletonLines={4}>
      {(list) => {
        const match = matchIncident(list.incidents, identity);
        if (match === null) return <NoLongerDetected id={id} identity={identity} />;
        if (match.id !== id) return <Navigate replace to={`${paths.incident.to(match.id)}?${search.toString()}`} />;
        return <IncidentPage id={id} />;
      }}
    </QueryState>
  );
}

function NoLongerDetected({ id, identity }: { id: string; identity: IncidentIdentity }) {
  return (
    <IncidentFrame
      id={id}
      description="The incident a notification was sent for."
      actions={<LinkButton to={paths.dashboard.to()}>All incidents →</LinkButton>}
    >
      <EmptyState title="The current analysis no longer has this incident">
        The link was sent for <code>{identity.metric}</code> in <SliceText text={identity.slice} /> since{' '}
        {identity.start}. No incident of the current analysis has that metric and slice with a start within{' '}
        {START_TOLERANCE_DAYS} days: the data no longer shows the regression, or it now belongs to another slice.
      </EmptyState>
    </IncidentFrame>
  );
}
