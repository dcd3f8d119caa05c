import { useMutation } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { WhatIfRequest, WhatIfResult } from '@/types/api';

/** `POST /api/incidents/{id}/whatif`: the simulated CX and efficiency effect of an action with these parameters. */
export function runWhatIf(id: string, request: WhatIfRequest, { signal }: { signal?: AbortSignal } = {}): Promise<WhatIfResult> {
  return apiFetch<WhatIfResult>(`/api/incidents/${encodeURIComponent(id)}/whatif`, {
    method: 'POST',
    body: request,
    signal,
  });
}

/** A simulation is a POST with no side effect, but each slider move asks for a new one: a mutation, last answer wins. */
export function useWhatIf(id: string) {
  return useMutation({
    mutationKey: ['whatif', id],
    mutationFn: (request: WhatIfRequest) => runWhatIf(id, request),
  });
}
