import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { RecommendationList } from '@/types/api';

/** `GET /api/incidents/{id}/recommendations`: ranked actions with intervals, the parameter sweeps, the efficiency baseline. */
export function getIncidentRecommendations(
  id: string,
  { signal }: { signal?: AbortSignal } = {},
): Promise<RecommendationList> {
  return apiFetch<RecommendationList>(`/api/incidents/${encodeURIComponent(id)}/recommendations`, { signal });
}

export function getIncidentRecommendationsQueryOptions(id: string) {
  return queryOptions({
    queryKey: ['recommendations', id],
    queryFn: ({ signal }) => getIncidentRecommendations(id, { signal }),
  });
}

export function useIncidentRecommendations(id: string) {
  return useQuery(getIncidentRecommendationsQueryOptions(id));
}
