import { useMutation } from '@tanstack/react-query';
import { apiFetchTextFile } from '@/lib/api-client';
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
  const file = await apiFetchTextFile(`/api/incidents/${encodeURIComponent(id)}/experiment-plan`, {
    method: 'POST',
    body: { recommendation_id: recommendationId },
  });
  const filename = file.filename ?? fallbackPlanFilename(id, recommendationId);
  const blob = new Blob([file.text], { type: 'text/markdown;charset=utf-8' });
  saveFile(blob, filename);
  return { filename, size: blob.size };
}

export function useExportExperimentPlan(id: string) {
  return useMutation({
    mutationFn: (recommendationId: string) => exportExperimentPlan(id, recommendationId),
  });
}
