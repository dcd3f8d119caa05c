import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { IncidentList, IncidentListParams } from '@/types/api';

/** `GET /api/incidents`: most severe first, then newest; `total` counts every match. */
export function getIncidents(
  params: IncidentListParams = {},
  { signal }: { signal?: AbortSignal } = {},
): Promise<IncidentList> {
  return apiFetch<IncidentList>('/api/incidents', { params, signal });
}

export function getIncidentsQueryOptions(params: IncidentListParams = {}) {
  return queryOptions({
    queryKey: ['incidents', 'list', params],
    queryFn: ({ signal }) => getIncidents(params, { signal }),
  });
}

/** Keeps the previous rows on screen while new filters load. */
export function useIncidents(params: IncidentListParams = {}) {
  return useQuery({ ...getIncidentsQueryOptions(params), placeholderData: keepPreviousData });
}
