import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/lib/api-client';
import type { OpenApiDocument } from '@/docs/lib/openapi';
import { authHeaders } from '@/docs/lib/token';

/** `GET /api/openapi.json`, with the user's bearer token when the server asks for one. */
export function getOpenApi(token: string, signal?: AbortSignal): Promise<OpenApiDocument> {
  return apiFetch<OpenApiDocument>('/api/openapi.json', { headers: authHeaders(token), signal });
}

export const openApiQueryOptions = (token: string) =>
  queryOptions({
    queryKey: ['openapi', token],
    queryFn: ({ signal }) => getOpenApi(token, signal),
  });

export function useOpenApi(token: string) {
  return useQuery(openApiQueryOptions(token));
}
