import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { Cohorts } from '@/types/api';

/** `GET /api/metrics/cohorts`: every dimension and its values, for cohort pickers. */
export function getCohorts({ signal }: { signal?: AbortSignal } = {}): Promise<Cohorts> {
  return apiFetch<Cohorts>('/api/metrics/cohorts', { signal });
}

export function getCohortsQueryOptions() {
  return queryOptions({
    queryKey: ['metrics', 'cohorts'],
    queryFn: ({ signal }) => getCohorts({ signal }),
    // The dimensions change only with a new data set.
    staleTime: 10 * 60_000,
  });
}

export function useCohorts() {
  return useQuery(getCohortsQueryOptions());
}
