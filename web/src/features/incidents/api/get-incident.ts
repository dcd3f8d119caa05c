import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { Incident } from '@/types/api';

/** `GET /api/incidents/{id}`: metadata, top regressing slices, metric breakdown. */
export function getIncident(id: string, { signal }: { signal?: AbortSignal } = {}): Promise<Incident> {
  return apiFetch<Incident>(`/api/incidents/${encodeURIComponent(id)}`, { signal });
}

export function getIncidentQueryOptions(id: string) {
  return queryOptions({
    queryKey: ['incidents', id],
    queryFn: ({ signal }) => getIncident(id, { signal }),
  });
}

export function useIncident(id: string) {
  return useQuery(getIncidentQueryOptions(id));
}
