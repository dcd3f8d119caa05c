import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HealthStatus } from '@/features/health/components/health-status';
import { errorResponse, HEALTH_OK, jsonResponse, mockFetch, mockFetchPending } from '@/testing/mock-fetch';
import { renderWithQuery } from '@/testing/render-app';

describe('HealthStatus', () => {
  it('shows status, version, order count and data range when the API is up', async () => {
    const fetchSpy = mockFetch(() => jsonResponse(HEALTH_OK));

    renderWithQuery(<HealthStatus />);

    const health = screen.getByTestId('health');
    await waitFor(() =>
      expect(health).toHaveTextContent(
        'API ok · v0.1.0 · 1,234 orders · 2026-06-01 – 2026-08-29 · analysed 2026-11-24 21:50 UTC',
      ),
    );
    expect(fetchSpy.mock.calls[0]?.[0]).toBe('/api/health');
  });

  it('says no orders are loaded, without a date range, when the orders table is empty', async () => {
    mockFetch(() =>
      jsonResponse({ ...HEALTH_OK, analyzed_at: null, data: { ...HEALTH_OK.data, orders: 0, start_date: null, end_date: null } }),
    );

    renderWithQuery(<HealthStatus />);

    await waitFor(() => expect(screen.getByTestId('health')).toHaveTextContent(/^API ok · v0\.1\.0 · no orders loaded$/));
  });

  it('shows a running re-analysis, and the error of a failed one', async () => {
    const running = { state: 'running', started_at: '2026-11-24T22:00:00Z', finished_at: null, last_error: null };
    const failed = {
      state: 'idle',
      started_at: '2026-11-24T22:00:00Z',
      finished_at: '2026-11-24T22:01:00Z',
      last_error: { error: { code: 'io_error', message: 'orders.parquet: unreadable', details: {} } },
    };
    let analysis: object = running;
    mockFetch(() => jsonResponse({ ...HEALTH_OK, analysis }));

    const { queryClient } = renderWithQuery(<HealthStatus />);
    await waitFor(() => expect(screen.getByTestId('health')).toHaveTextContent(/analysed 2026-11-24 21:50 UTC · re-analysing…$/));

    analysis = failed;
    await queryClient.refetchQueries();
    await waitFor(() =>
      expect(screen.getByTestId('health')).toHaveTextContent('last re-analysis failed: orders.parquet: unreadable'),
    );
  });

  it('shows the daily schedule, the watch and the last run the server started on its own', async () => {
    const schedule = {
      daily_at: '06:00',
      watch: true,
      next_run: '2026-12-04T06:00:00Z',
      last_trigger: { at: '2026-12-03T06:00:02Z', reason: 'schedule' },
    };
    mockFetch(() => jsonResponse({ ...HEALTH_OK, schedule }));

    renderWithQuery(<HealthStatus />);

    await waitFor(() =>
      expect(screen.getByTestId('health')).toHaveTextContent(
        'analysed 2026-11-24 21:50 UTC · daily 06:00 (next 2026-12-04 06:00 UTC), watching the data; last run 2026-12-03 06:00 UTC (schedule)',
      ),
    );
  });

  it('says nothing of a schedule when the server runs none', async () => {
    mockFetch(() => jsonResponse({ ...HEALTH_OK, schedule: { daily_at: null, watch: false, next_run: null, last_trigger: null } }));

    renderWithQuery(<HealthStatus />);

    await waitFor(() => expect(screen.getByTestId('health')).toHaveTextContent(/analysed 2026-11-24 21:50 UTC$/));
  });

  it('shows a loading state while the API has not answered', () => {
    mockFetchPending();

    renderWithQuery(<HealthStatus />);

    const health = screen.getByTestId('health');
    expect(health).toHaveTextContent('Checking API…');
    expect(health).toHaveAttribute('aria-busy', 'true');
    expect(health).not.toHaveTextContent('API ok');
  });

  it("shows 'API unreachable' with the API's own error message on failure", async () => {
    mockFetch(() => errorResponse(503, 'unavailable', 'results store is locked by another process'));

    renderWithQuery(<HealthStatus />);

    await waitFor(() =>
      expect(screen.getByTestId('health')).toHaveTextContent(
        'API unreachable: results store is locked by another process',
      ),
    );
  });

  it("shows 'API unreachable' when nothing answers at all", async () => {
    mockFetch(() => {
      throw new TypeError('Failed to fetch');
    });

    renderWithQuery(<HealthStatus />);

    await waitFor(() => expect(screen.getByTestId('health')).toHaveTextContent(/^API unreachable: .*Failed to fetch/));
  });
});
