import { useMutation } from '@tanstack/react-query';
import { apiFetchFile } from '@/lib/api-client';
import { saveFile } from '@/lib/download';

export type ExportedPlan = { filename: string; size: number };

/** The name the server gives in Content-Disposition, or one built the same way. */
export function fallbackPlanFilename(id: string, recommendationId: string): string {
  return `${id}-${recommendationId}-plan.md`;
}

/**
 * `POST /api/incidents/{id}/experiment-plan` (`text/markdown`) saved as a file
 * named by the server's `Content-Disposition`.
 */
export async function exportExperimentPlan(id: string, recommendationId: string): Promise<ExportedPlan> {
  const file = await apiFetchFile(
    `/api/incidents/${encodeURIComponent(id)}/experiment-plan`,
    { method: 'POST', body: { recommendation_id: recommendationId } },
    'text/markdown',
  );
  const filename = file.filename ?? fallbackPlanFilename(id, recommendationId);
  saveFile(new Blob([file.blob], { type: 'text/markdown' }), filename);
  return { filename, size: file.blob.size };
}

export function useExportExperimentPlan(id: string) {
  return useMutation({
    mutationFn: (recommendationId: string) => exportExperimentPlan(id, recommendationId),
  });
}
