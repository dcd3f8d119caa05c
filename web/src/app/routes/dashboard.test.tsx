import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { HEALTH, INCIDENT_LIST, SUMMARY_1, UNCONFIRMED } from '@/testing/fixtures';
import { fixtureRoutes, mockApi } from '@/testing/mock-api';
import { errorResponse, jsonResponse, mockFetchPending } from '@/testing/mock-fetch';
import { renderApp } from '@/testing/render-app';
import type { IncidentSummary } from '@/types/api';

const card = (label: string) => screen.getByText(label).closest('div') as HTMLElement;
const incidentsCard = () => screen.getByRole('region', { name: 'Incidents' });
const bodyRows = () => within(within(incidentsCard()).getByRole('table')).getAllByRole('row').slice(1);
const firstCells = () => bodyRows().map((row) => within(row).getAllByRole('cell')[0]?.textContent);
const requests = (spy: ReturnType<typeof mockApi>, path: string) =>
  spy.mock.calls.map(([url]) => new URL(String(url), 'http://localhost')).filter((u) => u.pathname === path);

describe('dashboard /', () => {
  it('shows skeletons while the API has not answered', () => {
    mockFetchPending();
    renderApp('/');

    expect(screen.getByRole('status', { name: 'Loading the CX Score trend' })).toBeInTheDocument();
    expect(screen.getByRole('status', { name: 'Loading the incidents' })).toBeInTheDocument();
    expect(screen.getAllByTestId('skeleton').length).toBeGreaterThanOrEqual(5);
  });

  it('fills the quick stats from the CX series, the open incident counts and health', async () => {
    const spy = mockApi(fixtureRoutes());
    renderApp('/');

    // Fixture: 84.1 over the last 7 days, ~86 before → the card compares them.
    await waitFor(() => expect(card('CX Score now vs baseline')).toHaveTextContent(/84\.1\s*vs 85\.\d/));
    expect(card('CX Score now vs baseline')).toHaveTextContent('Last 7 days vs the 28 before');
    await waitFor(() => expect(card('Open incidents')).toHaveTextContent('1'));
    const bySeverity = screen.getByRole('list', { name: 'Open incidents by severity' });
    expect(bySeverity).toHaveTextContent('high 1medium 0low 0');
    expect(card('Orders analysed')).toHaveTextContent('1,800,000');
    expect(card('Orders analysed')).toHaveTextContent('2026-06-01 – 2026-08-11');
    // Counts come from the API's total per severity, not from the page of rows.
    const counted = requests(spy, '/api/incidents').filter((u) => u.searchParams.get('limit') === '1');
    expect(counted.map((u) => u.searchParams.get('severity')).sort()).toEqual(['high', 'low', 'medium']);
    expect(counted.every((u) => u.searchParams.get('status') === 'open')).toBe(true);
  });

  it('lists what the data cannot support, by kind, with the columns each needs', async () => {
    const data = {
      ...HEALTH.data,
      cx_score: {
        components: ['cancelled', 'late'],
        unavailable: [{ name: 'rating', needs: ['ratings.rating'] }],
      },
      unavailable: [
        { kind: 'metric' as const, name: 'avg_rating', needs: ['ratings.rating'] },
        { kind: 'cx_component' as const, name: 'rating', needs: ['ratings.rating'] },
        { kind: 'cause' as const, name: 'inventory_feed_outage', needs: ['items.status', 'inventory.feed_lag_hours'] },
        { kind: 'action' as const, name: 'inventory_feed_refresh', needs: ['inventory.feed_lag_hours'] },
      ],
    };
    mockApi(fixtureRoutes({ 'GET /api/health': jsonResponse({ ...HEALTH, data }) }));
    renderApp('/');

    const notice = await screen.findByRole('region', { name: 'Your data cannot support everything' });
    expect(notice).toHaveTextContent('The CX Score here is made of: Cancelled, Late.');
    expect(notice).toHaveTextContent('Metrics not computedavg_rating: not available: needs ratings.rating');
    expect(notice).toHaveTextContent('CX Score components left outrating: not available: needs ratings.rating');
    expect(notice).toHaveTextContent(
      'Causes not testableinventory_feed_outage: not available: needs items.status, inventory.feed_lag_hours',
    );
    expect(notice).toHaveTextContent('Actions not recommendedinventory_feed_refresh: not available: needs inventory.feed_lag_hours');
  });

  it('shows no data notice when the data supports everything', async () => {
    renderAppWithFixtures('/');
    await waitFor(() => expect(card('Orders analysed')).toHaveTextContent('1,800,000'));
    expect(screen.queryByTestId('data-support')).not.toBeInTheDocument();
  });

  it('draws the CX trend with its data and links to the incidents marked on it', async () => {
    renderAppWithFixtures('/');

    const figure = await screen.findByRole('figure', { name: 'Daily CX Score, all' });
    const table = within(figure).getByRole('table', { hidden: true });
    expect(within(table).getAllByRole('row', { hidden: true })).toHaveLength(43);
    expect(within(figure).getByRole('link', { name: /INC-0001 high from 2026-07-31, ongoing/ })).toHaveAttribute(
      'href',
      '/incidents/INC-0001',
    );
  });

  it('lists the incidents with their fields, each linking to its page', async () => {
    renderAppWithFixtures('/');

    await waitFor(() => expect(bodyRows()).toHaveLength(3));
    const first = within(bodyRows()[0]!);
    expect(first.getByRole('link', { name: 'INC-0001' })).toHaveAttribute('href', '/incidents/INC-0001');
    expect(bodyRows()[0]).toHaveTextContent('highCX Scoreregion=seattle2026-07-31 · ongoing−5.3open');
    expect(bodyRows()[1]).toHaveTextContent('+1.3 pp'); // a rate's change in percentage points
    expect(within(incidentsCard()).getByText('1–3 of 3')).toBeInTheDocument();
  });

  it('sorts by a column on click, both ways, and keeps the sort in the URL', async () => {
    const user = userEvent.setup();
    const { router } = renderAppWithFixtures('/');
    await waitFor(() => expect(bodyRows()).toHaveLength(3));

    await user.click(within(incidentsCard()).getByRole('button', { name: /CX delta/ }));
    expect(firstCells()).toEqual(['INC-0001', 'INC-0003', 'INC-0002']);
    expect(within(incidentsCard()).getByRole('columnheader', { name: /CX delta/ })).toHaveAttribute('aria-sort', 'ascending');
    expect(router.state.location.search).toBe('?sort=delta&dir=asc');

    await user.click(within(incidentsCard()).getByRole('button', { name: /CX delta/ }));
    expect(firstCells()).toEqual(['INC-0002', 'INC-0003', 'INC-0001']);
    expect(router.state.location.search).toBe('?sort=delta&dir=desc');
  });

  it('reads filters from the URL and sends them to the API', async () => {
    const spy = mockApi(fixtureRoutes());
    renderApp('/?severity=medium&status=acknowledged&start_date=2026-07-01');

    await waitFor(() => expect(bodyRows()).toHaveLength(1));
    expect(firstCells()).toEqual(['INC-0002']);
    expect(within(incidentsCard()).getByLabelText('Severity')).toHaveValue('medium');
    expect(within(incidentsCard()).getByLabelText('From')).toHaveValue('2026-07-01');
    const list = requests(spy, '/api/incidents').find((u) => u.searchParams.get('limit') === '200');
    expect(Object.fromEntries(list!.searchParams)).toEqual({
      severity: 'medium',
      status: 'acknowledged',
      start_date: '2026-07-01',
      limit: '200',
    });
  });

  it('changing a filter updates the URL and the rows, and resets to page 1', async () => {
    const user = userEvent.setup();
    const { router } = renderAppWithFixtures('/?page=2');
    await waitFor(() => expect(bodyRows()).toHaveLength(3));

    await user.selectOptions(within(incidentsCard()).getByLabelText('Severity'), 'high');
    await waitFor(() => expect(firstCells()).toEqual(['INC-0001']));
    expect(router.state.location.search).toBe('?severity=high');

    await user.click(within(incidentsCard()).getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(bodyRows()).toHaveLength(3));
    expect(router.state.location.search).toBe('');
  });

  it('pages through more incidents than fit on one page', async () => {
    const many: IncidentSummary[] = Array.from({ length: 45 }, (_, i) => ({
      ...SUMMARY_1,
      id: `INC-${String(i + 1).padStart(4, '0')}`,
    }));
    mockApi(fixtureRoutes({ 'GET /api/incidents': () => jsonResponse({ incidents: many, total: 45 }) }));
    const user = userEvent.setup();
    const { router } = renderApp('/');
    await waitFor(() => expect(bodyRows()).toHaveLength(20));

    const pages = screen.getByRole('navigation', { name: 'Incident pages' });
    expect(within(pages).getByRole('button', { name: '← Previous' })).toBeDisabled();
    await user.click(within(pages).getByRole('button', { name: 'Next →' }));
    expect(firstCells()[0]).toBe('INC-0021');
    expect(pages).toHaveTextContent('21–40 of 45');
    expect(router.state.location.search).toBe('?page=2');
    await user.click(within(pages).getByRole('button', { name: 'Next →' }));
    expect(bodyRows()).toHaveLength(5);
    expect(within(pages).getByRole('button', { name: 'Next →' })).toBeDisabled();
  });

  it('says when more incidents match than it fetched', async () => {
    mockApi(fixtureRoutes({ 'GET /api/incidents': () => jsonResponse({ ...INCIDENT_LIST, total: 250 }) }));
    renderApp('/');

    expect(await screen.findByText(/1–3 of 250 \(sorting and paging the 3 most severe/)).toBeInTheDocument();
  });

  it('shows an empty state when nothing was detected, and another when filters match nothing', async () => {
    mockApi(fixtureRoutes({ 'GET /api/incidents': () => jsonResponse({ incidents: [], total: 0 }) }));
    renderApp('/');
    expect(await within(incidentsCard()).findByText('No incidents detected')).toBeInTheDocument();
  });

  it('shows the filtered empty state', async () => {
    mockApi(fixtureRoutes({ 'GET /api/incidents': () => jsonResponse({ incidents: [], total: 0 }) }));
    renderApp('/?status=resolved');
    expect(await within(incidentsCard()).findByText('No incident matches these filters')).toBeInTheDocument();
  });

  it("shows the team's feedback counts and precision", async () => {
    mockApi(fixtureRoutes());
    renderApp('/');

    const feedback = await screen.findByRole('region', { name: 'Team feedback' });
    await waitFor(() => expect(feedback).toHaveTextContent('Precision75%confirmed of 4 labelled'));
    expect(feedback).toHaveTextContent('Real changes75%all but false alarms');
    const rows = within(within(feedback).getByRole('table')).getAllByRole('row').slice(1);
    expect(rows.map((row) => row.textContent)).toEqual([
      'Confirmed3',
      'False alarm1',
      'Expected0',
      'Duplicate0',
      'Not labelled (served)2',
    ]);
  });

  it('lists the unconfirmed regressions under the incidents, collapsed, apart from them', async () => {
    mockApi(fixtureRoutes({ 'GET /api/unconfirmed': jsonResponse(UNCONFIRMED) }));
    renderApp('/');

    const unconfirmed = await screen.findByRole('region', { name: 'Unconfirmed regressions' });
    await waitFor(() => expect(unconfirmed).toHaveTextContent('Unconfirmed regressions (no cause found, not alerted): 2'));
    expect(unconfirmed.querySelector('details')?.open).toBe(false);
    await waitFor(() => expect(firstCells()).toEqual(['INC-0001', 'INC-0002', 'INC-0003']));
  });

  it('invites labelling when nothing is labelled yet', async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/feedback': jsonResponse({
          counts: { confirmed: 0, false_alarm: 0, expected: 0, duplicate: 0 },
          labelled: 0,
          unlabelled: 3,
          precision: null,
          detection_precision: null,
          labels: [],
        }),
      }),
    );
    renderApp('/');
    const feedback = await screen.findByRole('region', { name: 'Team feedback' });
    await waitFor(() => expect(feedback).toHaveTextContent('No incident is labelled yet'));
    expect(feedback).toHaveTextContent('3 served incidents are unlabelled.');
  });

  it('shows the notification deliveries, newest first, with retries and errors', async () => {
    mockApi(fixtureRoutes());
    renderApp('/');

    const log = await screen.findByRole('region', { name: 'Notifications' });
    await waitFor(() => expect(log).toHaveTextContent('Channels: ops-hook (webhook), ops-slack (slack) · 1 pending'));
    const rows = within(within(log).getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Incident opened INC-0001region=seattle');
    expect(rows[0]).toHaveTextContent('ops-slack');
    expect(rows[0]).toHaveTextContent('pending, next try 2026-11-24 21:53 UTC (2 attempts)HTTP 503: busy');
    expect(rows[1]).toHaveTextContent('ops-hookdelivered');
    expect(within(rows[0]!).getByRole('link', { name: 'INC-0001' })).toHaveAttribute('href', '/incidents/INC-0001');
  });

  it('says how to turn notifications on when no channel is configured', async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/notify/log': jsonResponse({ enabled: false, channels: [], pending: 0, deliveries: [] }),
      }),
    );
    renderApp('/');
    const log = await screen.findByRole('region', { name: 'Notifications' });
    await waitFor(() => expect(log).toHaveTextContent('Notifications are off: add a notify section'));
  });

  it('asks for the token when the API answers 401, then loads the page with it', async () => {
    let token = '';
    const routes = fixtureRoutes();
    const spy = mockApi(
      Object.fromEntries(
        Object.entries(routes).map(([key, route]) => [
          key,
          (request: { url: URL; init?: RequestInit; body: unknown }) => {
            token = new Headers(request.init?.headers).get('Authorization') ?? '';
            if (token !== 'Bearer s3cret') {
              return errorResponse(401, 'unauthorized', "this server requires 'Authorization: Bearer <token>' on /api routes");
            }
            return typeof route === 'function' ? route(request) : route.clone();
          },
        ]),
      ),
    );
    const user = userEvent.setup();
    renderApp('/');

    const prompt = await screen.findByRole('form', { name: 'API token' });
    await user.type(within(prompt).getByLabelText('This server needs its access token'), 's3cret');
    await user.click(within(prompt).getByRole('button', { name: 'Use token' }));

    await waitFor(() => expect(card('Orders analysed')).toHaveTextContent('1,800,000'));
    expect(screen.queryByRole('form', { name: 'API token' })).not.toBeInTheDocument();
    expect(sessionStorage.getItem('cxagent.api.token')).toBe('s3cret');
    expect(spy).toHaveBeenCalled();
    sessionStorage.clear();
  });

  it("shows the API's message when the incidents or the trend fail", async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/incidents': errorResponse(500, 'internal', 'results store is locked'),
        'GET /api/metrics/cx-score': errorResponse(404, 'not_found', 'no stored series for cohort region=mars'),
      }),
    );
    renderApp('/?cohort=region=mars');

    const alerts = await screen.findAllByRole('alert');
    await waitFor(() => expect(screen.getAllByRole('alert').map((a) => a.textContent).join(' ')).toContain('results store is locked'));
    expect(alerts.map((a) => a.textContent).join(' ')).toContain('no stored series for cohort region=mars');
    expect(within(incidentsCard()).getByRole('alert')).toHaveTextContent('Could not load the incidents');
    expect(card('Open incidents')).toHaveTextContent('Unavailable: results store is locked');
  });

  it('switches the trend to a cohort from /api/metrics/cohorts and keeps it in the URL', async () => {
    const spy = mockApi(fixtureRoutes());
    const user = userEvent.setup();
    const { router } = renderApp('/');
    const select = screen.getByLabelText('Cohort');
    await waitFor(() => expect(select).toBeEnabled());
    expect(within(select).getByRole('group', { name: 'region' })).toBeInTheDocument();

    await user.selectOptions(select, 'region=seattle');
    expect(router.state.location.search).toBe('?cohort=region%3Dseattle');
    await waitFor(() =>
      expect(requests(spy, '/api/metrics/cx-score').map((u) => u.searchParams.get('cohort'))).toContain('region=seattle'),
    );
    expect(screen.getByText('CX Score now vs baseline (region=seattle)')).toBeInTheDocument();
  });

  it('shows an empty trend when the cohort has no days', async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/metrics/cx-score': jsonResponse({ cohort: {}, cohort_text: 'all', series: [], incidents: [] }),
      }),
    );
    renderApp('/');
    expect(await screen.findByText('No CX Score for all')).toBeInTheDocument();
    expect(card('CX Score now vs baseline')).toHaveTextContent('Too few days with orders to compare');
  });

  it('treats days without a score as gaps: a dash in the table, left out of the comparison', async () => {
    const days = ['2026-08-01', '2026-08-02', '2026-08-03', '2026-08-04'];
    mockApi(
      fixtureRoutes({
        'GET /api/metrics/cx-score': jsonResponse({
          cohort: {},
          cohort_text: 'all',
          series: [
            { date: days[0], cx_score: 90, orders: 100 },
            { date: days[1], cx_score: null, orders: 0 },
            { date: days[2], cx_score: 84, orders: 100 },
            { date: days[3], cx_score: null, orders: 0 },
          ],
          incidents: [],
        }),
      }),
    );
    renderApp('/');

    const figure = await screen.findByRole('figure', { name: 'Daily CX Score, all' });
    const rows = within(within(figure).getByRole('table', { hidden: true })).getAllByRole('row', { hidden: true });
    expect(rows[2]).toHaveTextContent('2026-08-02—0');
    // Two days each side; the empty day on each side counts for nothing: 84 now vs 90.
    await waitFor(() => expect(card('CX Score now vs baseline')).toHaveTextContent(/84\.0\s*vs 90\.0/));
    expect(card('CX Score now vs baseline')).toHaveTextContent('−6.0');
  });

  it('shows the empty trend when no day of the cohort has a score', async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/metrics/cx-score': jsonResponse({
          cohort: {},
          cohort_text: 'all',
          series: [
            { date: '2026-08-01', cx_score: null, orders: 0 },
            { date: '2026-08-02', cx_score: null, orders: 0 },
          ],
          incidents: [],
        }),
      }),
    );
    renderApp('/');
    expect(await screen.findByText('No CX Score for all')).toBeInTheDocument();
    expect(card('CX Score now vs baseline')).toHaveTextContent('Too few days with orders to compare');
  });
});

function renderAppWithFixtures(path: string) {
  mockApi(fixtureRoutes());
  return renderApp(path);
}
