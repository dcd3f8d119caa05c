import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { UnconfirmedIncidents } from '@/features/incidents/components/unconfirmed-incidents';
import { NO_UNCONFIRMED, UNCONFIRMED } from '@/testing/fixtures';
import { mockApi } from '@/testing/mock-api';
import { errorResponse, jsonResponse, mockFetchPending } from '@/testing/mock-fetch';
import { renderWithQuery } from '@/testing/render-app';

const section = () => screen.getByRole('region', { name: 'Unconfirmed regressions' });

describe('UnconfirmedIncidents', () => {
  it('shows the count collapsed, and the rows with their top cause once opened', async () => {
    const spy = mockApi({ 'GET /api/unconfirmed': jsonResponse(UNCONFIRMED) });
    const user = userEvent.setup();

    renderWithQuery(<UnconfirmedIncidents />);

    const summary = await screen.findByText('Unconfirmed regressions (no cause found, not alerted): 2');
    const details = summary.closest('details') as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(spy.mock.calls[0]?.[0]).toBe('/api/unconfirmed');

    await user.click(summary);
    expect(details.open).toBe(true);
    const rows = within(within(section()).getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    // In the API's order: newest start first.
    expect(rows[0]).toHaveTextContent('INC-0005 low');
    expect(rows[0]).toHaveTextContent('merchant=m-0042&platform=ios');
    expect(rows[0]).toHaveTextContent('2026-08-02 · ongoing');
    expect(rows[0]).toHaveTextContent('−2.2');
    expect(rows[0]).toHaveTextContent('Batching expansion · 5%');
    expect(rows[0]).toHaveTextContent('no cause reaches confidence 0.2');
    expect(rows[1]).toHaveTextContent('INC-0004 medium');
    expect(rows[1]).toHaveTextContent('region=atlanta');
    expect(rows[1]).toHaveTextContent('2026-07-22 – 2026-07-24');
    expect(rows[1]).toHaveTextContent('none reported');
    // Not incidents: nothing links to an incident page that would answer 404.
    expect(within(section()).queryByRole('link')).not.toBeInTheDocument();
  });

  it('says none, with nothing to open, when the analysis has no unconfirmed regression', async () => {
    mockApi({ 'GET /api/unconfirmed': jsonResponse(NO_UNCONFIRMED) });

    renderWithQuery(<UnconfirmedIncidents />);

    await waitFor(() => expect(section()).toHaveTextContent(/^Unconfirmed regressions \(no cause found, not alerted\): none$/));
    expect(within(section()).queryByRole('table')).not.toBeInTheDocument();
    expect(section().querySelector('details')).toBeNull();
  });

  it('says it is loading while the API has not answered', () => {
    mockFetchPending();

    renderWithQuery(<UnconfirmedIncidents />);

    expect(section()).toHaveAttribute('aria-busy', 'true');
    expect(section()).toHaveTextContent('Unconfirmed regressions (no cause found, not alerted): loading…');
  });

  it("shows the API's message when the list fails", async () => {
    mockApi({ 'GET /api/unconfirmed': errorResponse(500, 'internal', 'results store is locked') });

    renderWithQuery(<UnconfirmedIncidents />);

    const alert = await within(section()).findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the unconfirmed regressions');
    expect(alert).toHaveTextContent('results store is locked');
  });
});
