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
      expect(health).toHaveTextContent('API ok · v0.1.0 · 1,234 orders · 2026-06-01 – 2026-08-29'),
    );
    expect(fetchSpy.mock.calls[0]?.[0]).toBe('/api/health');
  });

  it('says no data is loaded when the server has none', async () => {
    mockFetch(() => jsonResponse({ status: 'ok', version: '0.1.0', data: null }));

    renderWithQuery(<HealthStatus />);

    await waitFor(() =>
      expect(screen.getByTestId('health')).toHaveTextContent('API ok · v0.1.0 · no data loaded'),
    );
  });

  it('leaves the date range out when the orders table is empty', async () => {
    mockFetch(() =>
      jsonResponse({ status: 'ok', version: '0.1.0', data: { orders: 0, start_date: null, end_date: null } }),
    );

    renderWithQuery(<HealthStatus />);

    await waitFor(() => expect(screen.getByTestId('health')).toHaveTextContent(/^API ok · v0\.1\.0 · 0 orders$/));
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
