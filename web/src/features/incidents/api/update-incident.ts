import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getIncidentQueryOptions } from '@/features/incidents/api/get-incident';
import { apiFetch } from '@/lib/api-client';
import type { IncidentDetail, IncidentPatch, IncidentSummary } from '@/types/api';

/** `PATCH /api/incidents/{id}`: set the status and/or the note; returns the updated summary. */
export function updateIncident(id: string, patch: IncidentPatch): Promise<IncidentSummary> {
  return apiFetch<IncidentSummary>(`/api/incidents/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
}

/**
 * Acknowledge or resolve an incident with a note. On success the detail in
 * the cache takes the server's summary, and every incident list refetches
 * (status filters and open counts change).
 */
export function useUpdateIncident(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patch: IncidentPatch) => updateIncident(id, patch),
    onSuccess: (summary) => {
      queryClient.setQueryData(getIncidentQueryOptions(id).queryKey, (old: IncidentDetail | undefined) =>
        old ? { ...old, ...summary } : old,
      );
      return queryClient.invalidateQueries({ queryKey: ['incidents', 'list'] });
    },
  });
}
