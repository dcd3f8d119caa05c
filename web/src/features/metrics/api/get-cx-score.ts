import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { CxScoreParams, CxScoreSeries } from '@/types/api';

/** `GET /api/metrics/cx-score`: the daily CX Score of a cohort (all orders by default) and the incidents touching it. */
export function getCxScore(
  params: CxScoreParams = {},
  { signal }: { signal?: AbortSignal } = {},
): Promise<CxScoreSeries> {
  return apiFetch<CxScoreSeries>('/api/metrics/cx-score', { params, signal });
}

export function getCxScoreQueryOptions(params: CxScoreParams = {}) {
  return queryOptions({
    queryKey: ['metrics', 'cx-score', params],
    queryFn: ({ signal }) => getCxScore(params, { signal }),
  });
}

/** Keeps the previous cohort's chart on screen while the next one loads. */
export function useCxScore(params: CxScoreParams = {}) {
  return useQuery({ ...getCxScoreQueryOptions(params), placeholderData: keepPreviousData });
}
