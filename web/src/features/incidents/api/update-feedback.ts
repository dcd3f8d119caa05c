import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getIncidentQueryOptions } from '@/features/incidents/api/get-incident';
import { apiFetch } from '@/lib/api-client';
import type { FeedbackRequest, IncidentDetail, IncidentSummary } from '@/types/api';

/** `PUT /api/incidents/{id}/feedback`: label the incident; returns the updated summary. */
export function setIncidentFeedback(id: string, feedback: FeedbackRequest): Promise<IncidentSummary> {
  return apiFetch<IncidentSummary>(`/api/incidents/${encodeURIComponent(id)}/feedback`, {
    method: 'PUT',
    body: feedback,
  });
}

/** `DELETE /api/incidents/{id}/feedback`: remove the label; returns the updated summary. */
export function clearIncidentFeedback(id: string): Promise<IncidentSummary> {
  return apiFetch<IncidentSummary>(`/api/incidents/${encodeURIComponent(id)}/feedback`, { method: 'DELETE' });
}

/**
 * Label an incident (`feedback` given) or remove its label (`null`). On success
 * the cached detail takes the server's summary; the lists (a mute shows on
 * other incidents of the slice) and the feedback counts refetch.
 */
export function useIncidentFeedback(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (feedback: FeedbackRequest | null) =>
      feedback ? setIncidentFeedback(id, feedback) : clearIncidentFeedback(id),
    onSuccess: (summary) => {
      queryClient.setQueryData(getIncidentQueryOptions(id).queryKey, (old: IncidentDetail | undefined) =>
        old ? { ...old, ...summary } : old,
      );
      return Promise.all([
        // Other incidents of the slice may be muted or unmuted; this one already holds the answer.
        queryClient.invalidateQueries({
          queryKey: ['incidents'],
          predicate: (query) => !(query.queryKey[1] === 'detail' && query.queryKey[2] === id),
        }),
        queryClient.invalidateQueries({ queryKey: ['feedback'] }),
      ]);
    },
  });
}
