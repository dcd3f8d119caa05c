import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { Health } from '@/types/api';

/** `GET /api/health`: is the server up, which version, which data. */
export function getHealth({ signal }: { signal?: AbortSignal } = {}): Promise<Health> {
  return apiFetch<Health>('/api/health', { signal });
}

export function getHealthQueryOptions() {
  return queryOptions({
    queryKey: ['health'],
    queryFn: ({ signal }) => getHealth({ signal }),
    // The header is the operator's sign of life: keep it current.
    refetchInterval: 30_000,
  });
}

export function useHealth() {
  return useQuery(getHealthQueryOptions());
}
