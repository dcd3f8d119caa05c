import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { IncidentDetail } from '@/types/api';

/** `GET /api/incidents/{id}`: metadata, top regressing slices, metric breakdown, drill-down, alerts. */
export function getIncident(id: string, { signal }: { signal?: AbortSignal } = {}): Promise<IncidentDetail> {
  return apiFetch<IncidentDetail>(`/api/incidents/${encodeURIComponent(id)}`, { signal });
}

export function getIncidentQueryOptions(id: string) {
  return queryOptions({
    queryKey: ['incidents', 'detail', id],
    queryFn: ({ signal }) => getIncident(id, { signal }),
  });
}

export function useIncident(id: string) {
  return useQuery(getIncidentQueryOptions(id));
}
