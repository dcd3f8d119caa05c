import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { Rca } from '@/types/api';

/** `GET /api/incidents/{id}/rca`: causes ranked by confidence × |impact|, their evidence, the narrative. */
export function getIncidentRca(id: string, { signal }: { signal?: AbortSignal } = {}): Promise<Rca> {
  return apiFetch<Rca>(`/api/incidents/${encodeURIComponent(id)}/rca`, { signal });
}

export function getIncidentRcaQueryOptions(id: string) {
  return queryOptions({
    queryKey: ['rca', id],
    queryFn: ({ signal }) => getIncidentRca(id, { signal }),
  });
}

export function useIncidentRca(id: string) {
  return useQuery(getIncidentRcaQueryOptions(id));
}
