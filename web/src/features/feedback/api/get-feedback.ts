import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { FeedbackSummary } from '@/types/api';

/** `GET /api/feedback`: the team's labels, their counts and the precision they imply. */
export function getFeedback({ signal }: { signal?: AbortSignal } = {}): Promise<FeedbackSummary> {
  return apiFetch<FeedbackSummary>('/api/feedback', { signal });
}

export function getFeedbackQueryOptions() {
  return queryOptions({
    queryKey: ['feedback'],
    queryFn: ({ signal }) => getFeedback({ signal }),
  });
}

export function useFeedback() {
  return useQuery(getFeedbackQueryOptions());
}
