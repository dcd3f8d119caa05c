import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { INCIDENT_DETAIL, SUMMARY_1 } from '@/testing/fixtures';
import { fixtureRoutes, mockApi } from '@/testing/mock-api';
import { errorResponse, jsonResponse, mockFetchPending } from '@/testing/mock-fetch';
import { renderApp } from '@/testing/render-app';

const region = (name: string) => screen.getByRole('region', { name });
const dataRows = (table: HTMLElement) => within(table).getAllByRole('row', { hidden: true }).slice(1);

describe('incident /incidents/:id', () => {
  it('shows a skeleton while loading', () => {
    mockFetchPending();
    renderApp('/incidents/INC-0001');
    expect(screen.getByRole('status', { name: 'Loading incident INC-0001' })).toBeInTheDocument();
  });

  it('shows the metadata of the incident', async () => {
    mockApi(fixtureRoutes());
    renderApp('/incidents/INC-0001');

    const meta = await screen.findByRole('region', { name: 'Incident metadata' });
    expect(meta).toHaveTextContent('CX Score in region=seattle');
    expect(meta).toHaveTextContent('high');
    expect(meta).toHaveTextContent('score 0.93');
    expect(meta).toHaveTextContent('2026-07-31 – 2026-08-11 (ongoing)');
    expect(meta).toHaveTextContent('2026-07-03 – 2026-07-30');
    expect(meta).toHaveTextContent('Baseline86.2Current80.9Change−5.3');
  });

  it('charts the top regressing slices with contribution, baseline and current', async () => {
    mockApi(fixtureRoutes());
    renderApp('/incidents/INC-0001');

    const table = await within(await screen.findByRole('region', { name: 'Top regressing slices' })).findByRole('table', {
      hidden: true,
    });
    const rows = dataRows(table);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('region=seattle81%86.079.1−6.9−6.20−0.70');
    expect(rows[1]).toHaveTextContent('region=seattle, platform=ios42%');
    expect(screen.queryByText(/selects exactly the same orders/)).not.toBeInTheDocument();
  });

  it('names the slices that select exactly the same orders as a top slice', async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001': jsonResponse({
          ...INCIDENT_DETAIL,
          slices: [
            {
              ...INCIDENT_DETAIL.slices[0]!,
              slice: { region: 'austin', store_type: 'grocery' },
              same_orders_as: [{ fulfillment_mode: 'dasher_shop', region: 'austin' }],
            },
          ],
        }),
      }),
    );
    renderApp('/incidents/INC-0001');

    const card = await screen.findByRole('region', { name: 'Top regressing slices' });
    expect(await within(card).findByText(/selects exactly the same orders as/)).toHaveTextContent(
      'region=austin, store_type=grocery selects exactly the same orders as fulfillment_mode=dasher_shop, region=austin: the data cannot tell them apart.',
    );
  });

  it('draws one small multiple per component metric, slice vs rest', async () => {
    mockApi(fixtureRoutes());
    renderApp('/incidents/INC-0001');

    const breakdown = await screen.findByRole('region', { name: 'Metric breakdown' });
    const multiples = within(breakdown).getAllByRole('listitem');
    expect(multiples).toHaveLength(8);
    const onTime = within(breakdown).getByRole('figure', { name: 'On-time rate: slice vs rest' });
    expect(onTime.closest('li')).toHaveTextContent('Slice 91.0% → 78.0% (−13.0 pp)');
    expect(onTime.closest('li')).toHaveTextContent('Rest 90.0% → 90.0% (0.0 pp)');
    expect(dataRows(within(onTime).getByRole('table', { hidden: true }))).toHaveLength(42);
  });

  it('shows a metric the data cannot support as not available, with what it needs, instead of a chart', async () => {
    const breakdown = INCIDENT_DETAIL.breakdown.map((item) =>
      item.metric === 'avg_rating'
        ? { ...item, baseline: null, current: null, delta: null, rest_baseline: null, rest_current: null, series: [], needs: ['ratings.rating'] }
        : item,
    );
    mockApi(fixtureRoutes({ 'GET /api/incidents/INC-0001': jsonResponse({ ...INCIDENT_DETAIL, breakdown }) }));
    renderApp('/incidents/INC-0001');

    const region = await screen.findByRole('region', { name: 'Metric breakdown' });
    expect(within(region).getAllByRole('listitem')).toHaveLength(8);
    expect(within(region).getByTestId('unavailable-avg_rating')).toHaveTextContent(
      'Average ratingnot available: needs ratings.rating.',
    );
    expect(within(region).queryByRole('figure', { name: 'Average rating: slice vs rest' })).not.toBeInTheDocument();
    expect(within(region).getByRole('figure', { name: 'On-time rate: slice vs rest' })).toBeInTheDocument();
  });

  it('drills down by the dimension chosen, kept in the URL', async () => {
    mockApi(fixtureRoutes());
    const user = userEvent.setup();
    const { router } = renderApp('/incidents/INC-0001');

    const drill = await screen.findByRole('region', { name: 'Slice drill-down' });
    let table = within(drill).getByRole('table');
    expect(dataRows(table).map((r) => within(r).getByRole('rowheader').textContent)).toEqual([
      'platform=ios&region=seattle',
      'platform=android&region=seattle',
    ]);
    expect(dataRows(table)[0]).toHaveTextContent('86.478.0−8.441,200');

    await user.selectOptions(within(drill).getByLabelText('Dimension'), 'vertical');
    expect(router.state.location.search).toBe('?dim=vertical');
    table = within(drill).getByRole('table');
    expect(dataRows(table)).toHaveLength(1);
    expect(table).toHaveTextContent('region=seattle&vertical=restaurant');
  });

  it('lists the alerts merged into the incident', async () => {
    mockApi(fixtureRoutes());
    renderApp('/incidents/INC-0001');

    const alerts = await screen.findByRole('region', { name: 'Related alerts' });
    expect(dataRows(within(alerts).getByRole('table'))[0]).toHaveTextContent(
      'On-time rateregion=seattle2026-07-31 · ongoing91.0%78.0%−13.0 pp−7.4',
    );
  });

  it('acknowledges with a note through PATCH and shows the saved status', async () => {
    let patched: unknown;
    mockApi(
      fixtureRoutes({
        'PATCH /api/incidents/INC-0001': ({ body }) => {
          patched = body;
          return jsonResponse({ ...SUMMARY_1, status: 'acknowledged', note: 'Paging the Seattle ops lead', updated_at: '2026-11-24T22:00:00Z' });
        },
      }),
    );
    const user = userEvent.setup();
    renderApp('/incidents/INC-0001');

    const form = await screen.findByRole('form', { name: 'Update status' });
    const save = within(form).getByRole('button', { name: 'Save' });
    expect(save).toBeDisabled(); // nothing changed yet
    await user.click(within(form).getByRole('radio', { name: 'Acknowledged' }));
    await user.type(within(form).getByLabelText('Note'), 'Paging the Seattle ops lead');
    await user.click(save);

    await waitFor(() => expect(within(form).getByRole('status')).toHaveTextContent('Saved'));
    expect(patched).toEqual({ status: 'acknowledged', note: 'Paging the Seattle ops lead' });
    const meta = screen.getByRole('region', { name: 'Incident metadata' });
    expect(meta).toHaveTextContent('acknowledged');
    expect(meta).toHaveTextContent('since 2026-11-24 22:00 UTC');
    expect(meta).toHaveTextContent('Paging the Seattle ops lead');
  });

  it("shows the API's message when the PATCH is refused", async () => {
    mockApi(
      fixtureRoutes({
        'PATCH /api/incidents/INC-0001': errorResponse(400, 'invalid_input', 'status must be one of open, acknowledged, resolved'),
      }),
    );
    const user = userEvent.setup();
    renderApp('/incidents/INC-0001');

    const form = await screen.findByRole('form', { name: 'Update status' });
    await user.click(within(form).getByRole('radio', { name: 'Resolved' }));
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent(
      'Could not update the incidentstatus must be one of open, acknowledged, resolvedHTTP 400 · invalid_input',
    );
  });

  it('refuses a note longer than the API accepts before sending it', async () => {
    const spy = mockApi(fixtureRoutes());
    renderApp('/incidents/INC-0001');
    const form = await screen.findByRole('form', { name: 'Update status' });
    const note = within(form).getByLabelText('Note');
    // Typing 2001 characters one by one is slow; paste them.
    const user = userEvent.setup();
    await user.click(note);
    await user.paste('x'.repeat(2001));

    expect(note).toHaveAttribute('aria-invalid', 'true');
    expect(form).toHaveTextContent('2001 / 2000 characters: too long');
    expect(within(form).getByRole('button', { name: 'Save' })).toBeDisabled();
    expect(spy.mock.calls.some(([, init]) => init?.method === 'PATCH')).toBe(false);
  });

  it('labels the incident a false alarm through PUT and shows the label and the mute', async () => {
    let put: unknown;
    mockApi(
      fixtureRoutes({
        'PUT /api/incidents/INC-0001/feedback': ({ body }) => {
          put = body;
          return jsonResponse({
            ...SUMMARY_1,
            feedback: { label: 'false_alarm', by: 'Ana', note: 'a data glitch', updated_at: '2026-11-24T22:00:00Z' },
            muted: true,
            muted_by: {
              label: 'false_alarm',
              by: 'Ana',
              metric: 'cx_score',
              slice_text: 'region=seattle',
              start_date: '2026-07-31',
              end_date: null,
            },
          });
        },
      }),
    );
    const user = userEvent.setup();
    renderApp('/incidents/INC-0001');

    const form = await screen.findByRole('form', { name: 'Feedback' });
    expect(form).toHaveTextContent('Not labelled yet');
    const save = within(form).getByRole('button', { name: 'Save label' });
    await user.click(within(form).getByRole('radio', { name: 'False alarm' }));
    expect(save).toBeDisabled(); // who labels it is required
    await user.type(within(form).getByLabelText('Your name'), 'Ana');
    await user.type(within(form).getByLabelText('Why'), 'a data glitch');
    await user.click(save);

    const meta = screen.getByRole('region', { name: 'Incident metadata' });
    await waitFor(() => expect(meta).toHaveTextContent('False alarmby Ana· notifications muted'));
    expect(put).toEqual({ label: 'false_alarm', by: 'Ana', note: 'a data glitch' });
    const saved = screen.getByRole('form', { name: 'Feedback' });
    expect(saved).toHaveTextContent('Notifications muted: this incident is labelled False alarm by Ana (from 2026-07-31 while it is open).');
    expect(saved).toHaveTextContent('Labelled False alarm by Ana on 2026-11-24 22:00 UTC');
  });

  it('removes a label through DELETE', async () => {
    const labelled = {
      ...INCIDENT_DETAIL,
      feedback: { label: 'confirmed' as const, by: 'Bo', note: '', updated_at: '2026-11-24T22:00:00Z' },
    };
    const spy = mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001': jsonResponse(labelled),
        'DELETE /api/incidents/INC-0001/feedback': jsonResponse(SUMMARY_1),
      }),
    );
    const user = userEvent.setup();
    renderApp('/incidents/INC-0001');

    const form = await screen.findByRole('form', { name: 'Feedback' });
    expect(form).toHaveTextContent('Labelled Confirmed by Bo');
    await user.click(within(form).getByRole('button', { name: 'Remove label' }));

    await waitFor(() => expect(screen.getByRole('form', { name: 'Feedback' })).toHaveTextContent('Not labelled yet'));
    expect(spy.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(true);
  });

  it("shows the API's message when a label is refused", async () => {
    mockApi(
      fixtureRoutes({
        'PUT /api/incidents/INC-0001/feedback': errorResponse(400, 'invalid_input', "body: 'by' is required (who labels the incident)"),
      }),
    );
    const user = userEvent.setup();
    renderApp('/incidents/INC-0001');

    const form = await screen.findByRole('form', { name: 'Feedback' });
    await user.click(within(form).getByRole('radio', { name: 'Confirmed' }));
    await user.type(within(form).getByLabelText('Your name'), 'Ana');
    await user.click(within(form).getByRole('button', { name: 'Save label' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent(
      "Could not save the labelbody: 'by' is required (who labels the incident)HTTP 400 · invalid_input",
    );
  });

  it('says so when the incident has no localized slice, breakdown or drill-down', async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001': jsonResponse({ ...INCIDENT_DETAIL, slices: [], breakdown: [], drilldown: [], alerts: [] }),
      }),
    );
    renderApp('/incidents/INC-0001');

    expect(await screen.findByText('No localized slice')).toBeInTheDocument();
    expect(screen.getByText('No metric breakdown')).toBeInTheDocument();
    expect(within(region('Slice drill-down')).getByText('Nothing to drill into')).toBeInTheDocument();
    expect(within(region('Related alerts')).getByText('No related alert')).toBeInTheDocument();
  });

  it('shows a dash for the levels of a slice without orders in a window, never a made-up number', async () => {
    const [cx, onTime, ...rest] = INCIDENT_DETAIL.breakdown;
    mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001': jsonResponse({
          ...INCIDENT_DETAIL,
          slices: [{ ...INCIDENT_DETAIL.slices[0]!, rate_effect: null, mix_effect: null }],
          breakdown: [
            cx,
            {
              ...onTime!,
              current: null,
              delta: null,
              rest_baseline: null,
              series: onTime!.series.map((p, i) => (i === 0 ? { ...p, slice: null, rest: null } : p)),
            },
            ...rest,
          ],
          drilldown: [
            {
              ...INCIDENT_DETAIL.drilldown[0]!,
              rows: [{ ...INCIDENT_DETAIL.drilldown[0]!.rows[0]!, current: null, delta: null, orders: 0 }],
            },
          ],
        }),
      }),
    );
    renderApp('/incidents/INC-0001');

    const slices = await within(await screen.findByRole('region', { name: 'Top regressing slices' })).findByRole('table', {
      hidden: true,
    });
    expect(dataRows(slices)[0]).toHaveTextContent('region=seattle81%86.079.1−6.9——');

    const onTimeFigure = within(region('Metric breakdown')).getByRole('figure', { name: 'On-time rate: slice vs rest' });
    expect(onTimeFigure.closest('li')).toHaveTextContent('Slice 91.0% → — (—)');
    expect(onTimeFigure.closest('li')).toHaveTextContent('Rest — → 90.0% (—)');
    expect(dataRows(within(onTimeFigure).getByRole('table', { hidden: true }))[0]).toHaveTextContent(/^2026-07-01——$/);

    const drill = within(region('Slice drill-down')).getByRole('table');
    expect(dataRows(drill)[0]).toHaveTextContent('platform=ios&region=seattle86.4——0');
  });

  it('colours a drill-down change by whether the metric is better higher or lower', async () => {
    const row = { slice: { region: 'seattle', platform: 'ios' }, slice_text: 'platform=ios&region=seattle', orders: 10 };
    mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001': jsonResponse({
          ...INCIDENT_DETAIL,
          metric: 'cancel_rate',
          drilldown: [
            {
              dimension: 'platform',
              metric: 'cancel_rate',
              rows: [
                { ...row, baseline: 0.02, current: 0.05, delta: 0.03 },
                { ...row, slice_text: 'platform=web&region=seattle', baseline: 0.03, current: 0.02, delta: -0.01 },
              ],
            },
          ],
        }),
      }),
    );
    renderApp('/incidents/INC-0001');

    const drill = within(await screen.findByRole('region', { name: 'Slice drill-down' })).getByRole('table');
    const [worse, better] = dataRows(drill);
    expect(within(worse!).getByText('+3.0 pp')).toHaveClass('text-rose-700');
    expect(within(better!).getByText('−1.0 pp')).toHaveClass('text-emerald-700');
  });

  it("shows the API's 404 message for an unknown incident", async () => {
    mockApi(fixtureRoutes({ 'GET /api/incidents/INC-9999': errorResponse(404, 'not_found', 'no incident INC-9999') }));
    renderApp('/incidents/INC-9999');

    expect(await screen.findByRole('alert')).toHaveTextContent('Could not load incident INC-9999no incident INC-9999HTTP 404');
    expect(screen.getByRole('link', { name: 'Root cause analysis →' })).toHaveAttribute('href', '/rca/INC-9999');
  });

  describe("a notification's link (?metric=&slice=&start=)", () => {
    // INC-0001 is cx_score in region=seattle since 2026-07-31. Which incident a link names is the
    // server's answer (GET /api/incidents/resolve); these tests set that answer.
    const link = (id: string, slice: string, start: string) =>
      `/incidents/${id}?metric=cx_score&slice=${encodeURIComponent(slice)}&start=${start}`;
    const GONE =
      'no incident of the current analysis has metric cx_score and slice region=seattle with a start within 3 days of 2026-07-26: the data no longer shows the regression, or it now belongs to another slice';

    it("shows the incident when the id still names it, asking the server with the link's identity", async () => {
      let asked: URLSearchParams | undefined;
      const fetchSpy = mockApi(
        fixtureRoutes({
          'GET /api/incidents/resolve': ({ url }) => {
            asked = url.searchParams;
            return jsonResponse(SUMMARY_1);
          },
        }),
      );
      const { router } = renderApp(link('INC-0001', 'region=seattle', '2026-07-30'));

      expect(await screen.findByRole('region', { name: 'Incident metadata' })).toHaveTextContent('CX Score in region=seattle');
      expect(router.state.location.pathname).toBe('/incidents/INC-0001');
      expect(asked && Object.fromEntries(asked)).toEqual({ metric: 'cx_score', slice: 'region=seattle', start: '2026-07-30' });
      // The page no longer reads the incident list to match the link itself.
      const paths = fetchSpy.mock.calls.map(([url]) => new URL(String(url), 'http://localhost').pathname);
      expect(paths).not.toContain('/api/incidents');
    });

    it('goes to the incident under its new id when a later analysis renumbered it', async () => {
      mockApi(fixtureRoutes({ 'GET /api/incidents/resolve': jsonResponse(SUMMARY_1) }));
      const { router } = renderApp(link('INC-0003', 'region=seattle', '2026-08-02'));

      expect(await screen.findByRole('heading', { name: 'Incident INC-0001' })).toBeInTheDocument();
      expect(router.state.location.pathname).toBe('/incidents/INC-0001');
      expect(router.state.location.search).toBe('?metric=cx_score&slice=region%3Dseattle&start=2026-08-02');
      expect(await screen.findByRole('region', { name: 'Incident metadata' })).toHaveTextContent('CX Score in region=seattle');
    });

    it("says the incident is gone, with the server's reason, instead of showing another one under its old id", async () => {
      const fetchSpy = mockApi(
        fixtureRoutes({
          'GET /api/incidents/resolve': errorResponse(404, 'not_found', GONE, {
            metric: 'cx_score',
            slice_text: 'region=seattle',
            start_date: '2026-07-26',
          }),
        }),
      );
      renderApp(link('INC-0001', 'region=seattle', '2026-07-26'));

      const gone = await screen.findByTestId('empty');
      expect(gone).toHaveTextContent('The current analysis no longer has this incident');
      expect(gone).toHaveTextContent('cx_score in region=seattle since 2026-07-26');
      expect(gone).toHaveTextContent(`The server says: ${GONE}.`);
      expect(screen.queryByRole('region', { name: 'Incident metadata' })).not.toBeInTheDocument();
      expect(screen.getByRole('link', { name: 'All incidents →' })).toHaveAttribute('href', '/');
      const asked = fetchSpy.mock.calls.map(([url]) => new URL(String(url), 'http://localhost').pathname);
      expect(asked).not.toContain('/api/incidents/INC-0001');
    });

    it('shows the id as asked when the link has no complete identity', async () => {
      // No resolve route: the page must not ask the server to resolve this link.
      mockApi(fixtureRoutes());
      renderApp('/incidents/INC-0001?metric=cx_score&slice=region%3Dseattle&start=31-07-2026');

      expect(await screen.findByRole('region', { name: 'Incident metadata' })).toHaveTextContent('CX Score in region=seattle');
    });

    it("shows the server's message when it refuses the link's identity", async () => {
      mockApi(
        fixtureRoutes({
          'GET /api/incidents/resolve': errorResponse(400, 'invalid_input', "slice 'region': pair 'region' has no '='; expected dim=value", {
            parameter: 'slice',
          }),
        }),
      );
      renderApp(link('INC-0001', 'region', '2026-07-31'));

      expect(await screen.findByRole('alert')).toHaveTextContent(
        "Could not load incident INC-0001slice 'region': pair 'region' has no '='; expected dim=valueHTTP 400",
      );
      expect(screen.queryByRole('region', { name: 'Incident metadata' })).not.toBeInTheDocument();
    });

    it("shows the server's error when the link cannot be resolved", async () => {
      mockApi(fixtureRoutes({ 'GET /api/incidents/resolve': errorResponse(500, 'internal', 'results unreadable') }));
      renderApp(link('INC-0001', 'region=seattle', '2026-07-31'));

      expect(await screen.findByRole('alert')).toHaveTextContent('Could not load incident INC-0001results unreadable');
    });
  });
});
