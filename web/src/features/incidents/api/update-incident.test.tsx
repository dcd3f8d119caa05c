import { QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { getIncidentQueryOptions } from '@/features/incidents/api/get-incident';
import { getIncidentsQueryOptions } from '@/features/incidents/api/get-incidents';
import { useUpdateIncident } from '@/features/incidents/api/update-incident';
import { INCIDENT_DETAIL, INCIDENT_LIST, SUMMARY_1 } from '@/testing/fixtures';
import { errorResponse, jsonResponse, mockFetch } from '@/testing/mock-fetch';
import { createTestQueryClient } from '@/testing/render-app';

function setup() {
  const client = createTestQueryClient();
  client.setQueryData(getIncidentQueryOptions('INC-0001').queryKey, INCIDENT_DETAIL);
  client.setQueryData(getIncidentsQueryOptions({ status: 'open' }).queryKey, INCIDENT_LIST);
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  return { client, hook: renderHook(() => useUpdateIncident('INC-0001'), { wrapper }) };
}

describe('useUpdateIncident', () => {
  it('PATCHes, puts the returned summary into the cached detail and marks the lists stale', async () => {
    const saved = { ...SUMMARY_1, status: 'resolved' as const, note: 'reverted', updated_at: '2026-11-24T22:00:00Z' };
    const spy = mockFetch(() => jsonResponse(saved));
    const { client, hook } = setup();

    await act(() => hook.result.current.mutateAsync({ status: 'resolved', note: 'reverted' }));

    expect(spy).toHaveBeenCalledTimes(1);
    const [url, init] = spy.mock.calls[0]!;
    expect(url).toBe('/api/incidents/INC-0001');
    expect(init).toMatchObject({ method: 'PATCH', body: '{"status":"resolved","note":"reverted"}' });
    const detail = client.getQueryData(getIncidentQueryOptions('INC-0001').queryKey);
    expect(detail).toMatchObject({ status: 'resolved', note: 'reverted', slices: INCIDENT_DETAIL.slices });
    expect(client.getQueryState(getIncidentsQueryOptions({ status: 'open' }).queryKey)?.isInvalidated).toBe(true);
  });

  it('leaves the cache alone and reports the API error on failure', async () => {
    mockFetch(() => errorResponse(400, 'invalid_input', 'note is longer than 2000 characters'));
    const { client, hook } = setup();

    act(() => hook.result.current.mutate({ note: 'x' }));

    await waitFor(() => expect(hook.result.current.isError).toBe(true));
    expect(hook.result.current.error?.message).toBe('note is longer than 2000 characters');
    expect(client.getQueryData(getIncidentQueryOptions('INC-0001').queryKey)).toBe(INCIDENT_DETAIL);
    expect(client.getQueryState(getIncidentsQueryOptions({ status: 'open' }).queryKey)?.isInvalidated).toBe(false);
  });
});
