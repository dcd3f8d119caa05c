import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { NotifyLog } from '@/types/api';

/** `GET /api/notify/log`: the channels and the latest notification deliveries, newest first. */
export function getNotifyLog({ limit, signal }: { limit?: number; signal?: AbortSignal } = {}): Promise<NotifyLog> {
  return apiFetch<NotifyLog>('/api/notify/log', { params: { limit }, signal });
}

export function getNotifyLogQueryOptions(limit = 20) {
  return queryOptions({
    queryKey: ['notify', 'log', limit],
    queryFn: ({ signal }) => getNotifyLog({ limit, signal }),
    // Deliveries retry in the background: keep the view current.
    refetchInterval: 30_000,
  });
}

export function useNotifyLog(limit = 20) {
  return useQuery(getNotifyLogQueryOptions(limit));
}
