import { queryOptions, useQuery } from '@tanstack/react-query';
import { ApiError, apiFetch } from '@/lib/api-client';
import type { IncidentResolveParams, IncidentSummary } from '@/types/api';

/**
 * What the server made of an identity: the incident of the current analysis
 * it names, or none, with the server's reason (the matching rule and its
 * tolerance are the server's, docs/api.md, notifications).
 */
export type ResolvedIncident = { incident: IncidentSummary } | { incident: null; reason: string };

/**
 * `GET /api/incidents/resolve`: the incident that a notification link's
 * identity names, matched as triage states are. A 404 is an answer here (the
 * analysis no longer has the incident), not a failure; every other error is
 * thrown.
 */
export async function resolveIncident(
  params: IncidentResolveParams,
  { signal }: { signal?: AbortSignal } = {},
): Promise<ResolvedIncident> {
  try {
    return { incident: await apiFetch<IncidentSummary>('/api/incidents/resolve', { params, signal }) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.code === 'not_found') {
      return { incident: null, reason: error.message };
    }
    throw error;
  }
}

export function resolveIncidentQueryOptions(params: IncidentResolveParams) {
  return queryOptions({
    queryKey: ['incidents', 'resolve', params],
    queryFn: ({ signal }) => resolveIncident(params, { signal }),
  });
}

export function useResolveIncident(params: IncidentResolveParams) {
  return useQuery(resolveIncidentQueryOptions(params));
}
