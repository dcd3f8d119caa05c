import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { UnconfirmedList } from '@/types/api';

/** `GET /api/unconfirmed`: regressions no cause explains (not alerted), newest start first. */
export function getUnconfirmed({ signal }: { signal?: AbortSignal } = {}): Promise<UnconfirmedList> {
  return apiFetch<UnconfirmedList>('/api/unconfirmed', { signal });
}

export function getUnconfirmedQueryOptions() {
  return queryOptions({
    // Apart from ['incidents']: a triage or feedback change there cannot change this list.
    queryKey: ['unconfirmed'],
    queryFn: ({ signal }) => getUnconfirmed({ signal }),
  });
}

export function useUnconfirmed() {
  return useQuery(getUnconfirmedQueryOptions());
}
