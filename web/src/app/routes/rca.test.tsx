import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { RCA } from '@/testing/fixtures';
import { fixtureRoutes, mockApi } from '@/testing/mock-api';
import { errorResponse, jsonResponse, mockFetchPending } from '@/testing/mock-fetch';
import { renderApp } from '@/testing/render-app';

const dataRows = (table: HTMLElement) => within(table).getAllByRole('row', { hidden: true }).slice(1);

describe('root cause /rca/:id', () => {
  it('shows a skeleton while loading', () => {
    mockFetchPending();
    renderApp('/rca/INC-0001');
    expect(screen.getByRole('status', { name: 'Loading the root cause analysis of INC-0001' })).toBeInTheDocument();
  });

  it('ranks the causes with confidence bars and impact, linking to their evidence', async () => {
    mockApi(fixtureRoutes());
    renderApp('/rca/INC-0001');

    const ranking = await screen.findByRole('list', { name: 'Causes, most likely first' });
    const causes = within(ranking).getAllByRole('listitem');
    expect(causes).toHaveLength(2);
    expect(causes[0]).toHaveTextContent('Batching expansion');
    expect(causes[0]).toHaveTextContent('actionable');
    expect(causes[0]).toHaveTextContent('−5.8');
    expect(within(causes[0]!).getByRole('meter', { name: 'Confidence in Batching expansion' })).toHaveAttribute(
      'aria-valuenow',
      '91',
    );
    expect(within(causes[1]!).getByRole('meter')).toHaveAttribute('aria-valuetext', '20%');
    expect(causes[1]).toHaveTextContent('external');
    expect(within(causes[0]!).getByRole('link', { name: 'Batching expansion' })).toHaveAttribute(
      'href',
      '#cause-batching_expansion',
    );
  });

  it('shows the narrative', async () => {
    mockApi(fixtureRoutes());
    renderApp('/rca/INC-0001');
    expect(await screen.findByRole('region', { name: 'Narrative' })).toHaveTextContent(
      'From 2026-07-31 batching in Seattle rose from 12% to 41% of orders',
    );
  });

  it("draws each cause's evidence: driver shift, SHAP, difference in differences, change log", async () => {
    mockApi(fixtureRoutes());
    renderApp('/rca/INC-0001');

    const cause = await screen.findByRole('region', { name: '1. Batching expansion' });
    const driver = within(cause).getByRole('figure', { name: 'Batched orders before and after 2026-07-31' });
    expect(driver.parentElement).toHaveTextContent('12.0% → 41.0%, change +29.0 pp (90% CI +27.0 to +31.0 pp); change point 2026-07-31');
    expect(dataRows(within(driver).getByRole('table', { hidden: true }))).toHaveLength(42);

    const shap = within(cause).getByRole('figure', { name: 'SHAP attribution by feature' });
    const shapRows = dataRows(within(shap).getByRole('table', { hidden: true }));
    expect(shapRows[0]).toHaveTextContent('Batched order−0.40−4.90−4.50');
    expect(shap.parentElement).toHaveTextContent('together −4.80 CX points');

    const did = within(cause).getByRole('figure', { name: 'Treated vs control' });
    expect(did.parentElement).toHaveTextContent('Estimate −5.20 (90% CI −6.10 to −4.30); placebo 0.10 (p = 0.62). Controls: region=atlanta.');
    // The pre-period ends the day before the incident (from the incident's window).
    expect(did).toHaveTextContent('Shaded: pre-period (to 2026-07-30).');
    expect(dataRows(within(did).getByRole('table', { hidden: true }))[0]).toHaveTextContent('2026-07-0186.0086.10');

    expect(within(cause).getByRole('heading', { name: /Change log: CHG-042/ }).parentElement).toHaveTextContent(
      'Raise max batch size from 1 to 3Consistent with the regression: Same region, one day before the drop',
    );
    expect(within(screen.getByRole('region', { name: '2. Severe weather' })).getByText('No evidence recorded for this cause')).toBeInTheDocument();
  });

  it('links on to the recommendations', async () => {
    mockApi(fixtureRoutes());
    renderApp('/rca/INC-0001');
    expect(screen.getByRole('link', { name: 'Recommendations →' })).toHaveAttribute('href', '/recommendations/INC-0001');
  });

  it('says so when no cause was found', async () => {
    mockApi(fixtureRoutes({ 'GET /api/incidents/INC-0001/rca': jsonResponse({ ...RCA, causes: [], narrative: '' }) }));
    renderApp('/rca/INC-0001');
    expect(await screen.findByText('No cause found')).toBeInTheDocument();
    expect(screen.getByText('No narrative')).toBeInTheDocument();
  });

  it("shows the API's message when the analysis fails, without needing the incident", async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001': errorResponse(500, 'internal', 'detail broken'),
        'GET /api/incidents/INC-0001/rca': errorResponse(404, 'not_found', 'no analysis stored for INC-0001'),
      }),
    );
    renderApp('/rca/INC-0001');
    expect(await screen.findByRole('alert')).toHaveTextContent('no analysis stored for INC-0001');
  });

  it('says plainly that the root cause stage has not run (501), in the API\'s words', async () => {
    const message = 'root-cause analysis for INC-0001: the rca stage has not produced it for this incident (the stored analysis has none)';
    mockApi(fixtureRoutes({ 'GET /api/incidents/INC-0001/rca': errorResponse(501, 'not_implemented', message) }));
    renderApp('/rca/INC-0001');

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(`Not available yet: the root cause analysis of INC-0001${message}`);
    expect(alert).toHaveTextContent('HTTP 501 · not_implemented');
    // The way back and on stays: the incident page works without the RCA.
    expect(screen.getByRole('link', { name: '← Incident' })).toHaveAttribute('href', '/incidents/INC-0001');
  });

  it('draws a driver shift without a change point as a plain series', async () => {
    const [top, ...others] = RCA.causes;
    const shift = top!.evidence[0]!;
    if (shift.kind !== 'driver_shift') throw new Error('the fixture leads with a driver shift');
    mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001/rca': jsonResponse({
          ...RCA,
          causes: [{ ...top!, evidence: [{ ...shift, change_date: null }] }, ...others],
        }),
      }),
    );
    renderApp('/rca/INC-0001');

    const cause = await screen.findByRole('region', { name: '1. Batching expansion' });
    const driver = within(cause).getByRole('figure', { name: 'Batched orders, daily' });
    expect(driver.parentElement).toHaveTextContent('12.0% → 41.0%, change +29.0 pp (90% CI +27.0 to +31.0 pp); no single change point');
    expect(driver.parentElement).not.toHaveTextContent('null');
  });

  it('lists the causes the data cannot test, unranked, and the drivers a tested cause lacks', async () => {
    const [top, ...others] = RCA.causes;
    mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001/rca': jsonResponse({
          ...RCA,
          causes: [
            { ...top!, missing_evidence: [{ metric: 'active_dashers', needs: ['supply_hourly.active_dashers'] }] },
            ...others,
          ],
          not_testable: [
            { cause: 'inventory_feed_outage', label: 'Inventory feed outage', needs: ['items.status', 'inventory.feed_lag_hours'] },
          ],
        }),
      }),
    );
    renderApp('/rca/INC-0001');

    const card = await screen.findByRole('region', { name: 'Not testable with this data' });
    const list = within(card).getByRole('list', { name: 'Causes not testable with this data' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(1);
    expect(list).toHaveTextContent('Inventory feed outage inventory_feed_outagenot available: needs items.status, inventory.feed_lag_hours');
    const ranking = screen.getByRole('list', { name: 'Causes, most likely first' });
    expect(ranking).not.toHaveTextContent('Inventory feed outage');
    const cause = screen.getByRole('region', { name: '1. Batching expansion' });
    expect(within(cause).getByRole('list', { name: 'Evidence of Batching expansion the data cannot give' })).toHaveTextContent(
      'Active dashers: not available: needs supply_hourly.active_dashers',
    );
  });

  it('shows no not-testable card when the data can test every cause', async () => {
    mockApi(fixtureRoutes());
    renderApp('/rca/INC-0001');
    await screen.findByRole('region', { name: 'Narrative' });
    expect(screen.queryByRole('region', { name: 'Not testable with this data' })).not.toBeInTheDocument();
  });
});
