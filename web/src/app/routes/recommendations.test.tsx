import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RECOMMENDATIONS, WHATIF_RESULT } from '@/testing/fixtures';
import { fixtureRoutes, mockApi } from '@/testing/mock-api';
import { errorResponse, jsonResponse, mockFetchPending } from '@/testing/mock-fetch';
import { renderApp } from '@/testing/render-app';

const dataRows = (table: HTMLElement) => within(table).getAllByRole('row', { hidden: true }).slice(1);
const region = (name: string) => screen.getByRole('region', { name });

/** Captures what the page hands to the browser's download manager. */
function captureDownloads() {
  const saved: { name: string; blob: Blob }[] = [];
  const blobs = new Map<string, Blob>();
  vi.stubGlobal('URL', Object.assign(URL, {
    createObjectURL: (blob: Blob) => {
      const url = `blob:test/${blobs.size}`;
      blobs.set(url, blob);
      return url;
    },
    revokeObjectURL: () => {},
  }));
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.push({ name: this.download, blob: blobs.get(this.href)! });
  });
  return saved;
}

describe('recommendations /recommendations/:id', () => {
  beforeEach(() => {
    vi.useRealTimers();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('shows a skeleton while loading', () => {
    mockFetchPending();
    renderApp('/recommendations/INC-0001');
    expect(screen.getByRole('status', { name: 'Loading the recommendations for INC-0001' })).toBeInTheDocument();
  });

  it('shows each action with its expected CX change, interval and efficiency cost', async () => {
    mockApi(fixtureRoutes());
    renderApp('/recommendations/INC-0001');

    const first = await screen.findByRole('listitem', { name: 'REC-0001-1: Cap batching at 1 order in region=seattle' });
    expect(first).toHaveTextContent('#1revertREC-0001-1cause: batching_expansion');
    expect(first).toHaveTextContent('batching_cap · max_batch=1');
    expect(first).toHaveTextContent('Expected CX change: +5.1 (90% CI +4.2 to +6.0)');
    // +0.42 on a baseline cost per order of 8.40 is +5.0%.
    expect(first).toHaveTextContent('Cost per order+0.42 (+5.0%) [+0.35, +0.50]');
    expect(first).toHaveTextContent('CX points per unit of cost: 12.10');

    const chart = screen.getByRole('figure', { name: 'Expected CX Score change per action, with 90% intervals' });
    expect(dataRows(within(chart).getByRole('table', { hidden: true })).map((r) => r.textContent)).toEqual([
      'REC-0001-1 (revert)+5.1+4.2+6.0',
      'REC-0001-2 (improve)+3.0+2.2+3.8',
    ]);
  });

  it('plots the parameter sweep and the actions on the tradeoff chart', async () => {
    mockApi(fixtureRoutes());
    renderApp('/recommendations/INC-0001');

    const chart = await screen.findByRole('figure', { name: 'CX vs efficiency tradeoff' });
    const rows = dataRows(within(chart).getByRole('table', { hidden: true })).map((r) => r.textContent);
    expect(rows).toEqual([
      'batching_cap · max_batchmax_batch=1+0.40 [+0.30, +0.50]+4.0 [+3.0, +5.0]',
      'batching_cap · max_batchmax_batch=2+0.20 [+0.10, +0.30]+2.0 [+1.0, +3.0]',
      'batching_cap · max_batchmax_batch=30.00 [−0.10, +0.10]0.0 [−1.0, +1.0]',
      'RecommendedREC-0001-1+0.42 [+0.35, +0.50]+5.1 [+4.2, +6.0]',
      'RecommendedREC-0001-2+0.20 [+0.15, +0.25]+3.0 [+2.2, +3.8]',
    ]);
  });

  it('simulates a what-if when the slider moves and adds it to the tradeoff chart', async () => {
    const bodies: unknown[] = [];
    mockApi(
      fixtureRoutes({
        'POST /api/incidents/INC-0001/whatif': ({ body }) => {
          bodies.push(body);
          return jsonResponse(WHATIF_RESULT);
        },
      }),
    );
    renderApp('/recommendations/INC-0001');

    const panel = await screen.findByRole('region', { name: 'What-if' });
    expect(within(panel).getByRole('status', { name: 'Simulation result' })).toHaveTextContent('Move a control to simulate');
    const slider = within(panel).getByRole('slider', { name: 'max_batch' });
    expect(slider).toHaveAttribute('aria-valuetext', 'max_batch 1');
    // Two moves in a row (a drag) send one request, for the last value.
    fireEvent.change(slider, { target: { value: '1' } });
    fireEvent.change(slider, { target: { value: '2' } });
    expect(slider).toHaveAttribute('aria-valuetext', 'max_batch 3');

    await waitFor(() => expect(within(panel).getByTestId('whatif-cx')).toHaveTextContent('+0.4 (90% CI −0.3 to +1.1)'));
    expect(bodies).toEqual([{ template: 'batching_cap', params: { max_batch: 3 } }]);
    expect(within(panel).getByTestId('whatif-action')).toHaveTextContent('Cap batching at 3 orders in region=seattle');
    const table = within(screen.getByRole('figure', { name: 'CX vs efficiency tradeoff' })).getByRole('table', { hidden: true });
    expect(dataRows(table).at(-1)).toHaveTextContent('What-ifmax_batch=3+0.20 [+0.15, +0.25]+0.4 [−0.3, +1.1]');
  });

  it("shows the API's message when the simulation fails", async () => {
    mockApi(
      fixtureRoutes({
        'POST /api/incidents/INC-0001/whatif': errorResponse(400, 'invalid_input', 'max_batch must be between 1 and 3'),
      }),
    );
    renderApp('/recommendations/INC-0001');
    const panel = await screen.findByRole('region', { name: 'What-if' });
    fireEvent.change(within(panel).getByRole('slider', { name: 'max_batch' }), { target: { value: '1' } });
    expect(await within(panel).findByRole('alert')).toHaveTextContent('The simulation failedmax_batch must be between 1 and 3');
  });

  it('exports the experiment plan of the chosen action under the name the server gives', async () => {
    const bodies: unknown[] = [];
    mockApi(
      fixtureRoutes({
        'POST /api/incidents/INC-0001/experiment-plan': ({ body }) => {
          bodies.push(body);
          return new Response('# Experiment plan: cap batching at 2\n', {
            headers: {
              'Content-Type': 'text/markdown; charset=utf-8',
              'Content-Disposition': 'attachment; filename="INC-0001-REC-0001-2-plan.md"',
            },
          });
        },
      }),
    );
    const saved = captureDownloads();
    const user = userEvent.setup();
    const { router } = renderApp('/recommendations/INC-0001');

    await user.click(await screen.findByRole('radio', { name: 'Plan an experiment for REC-0001-2' }));
    expect(router.state.location.search).toBe('?rec=REC-0001-2');
    await user.click(screen.getByRole('button', { name: 'Export experiment plan' }));

    await waitFor(() => expect(saved).toHaveLength(1));
    expect(bodies).toEqual([{ recommendation_id: 'REC-0001-2' }]);
    expect(saved[0]!.name).toBe('INC-0001-REC-0001-2-plan.md');
    expect(await saved[0]!.blob.text()).toBe('# Experiment plan: cap batching at 2\n');
    expect(region('Recommended actions')).toHaveTextContent('Saved INC-0001-REC-0001-2-plan.md.');
  });

  it('plans the action named in a shared URL', async () => {
    mockApi(fixtureRoutes());
    renderApp('/recommendations/INC-0001?rec=REC-0001-2');
    expect(await screen.findByRole('radio', { name: 'Plan an experiment for REC-0001-2' })).toBeChecked();
    expect(region('Recommended actions')).toHaveTextContent('Downloads the Markdown experiment plan for REC-0001-2.');
  });

  it("shows the API's message when the export fails", async () => {
    mockApi(
      fixtureRoutes({
        'POST /api/incidents/INC-0001/experiment-plan': errorResponse(404, 'not_found', 'no recommendation REC-0001-1'),
      }),
    );
    const saved = captureDownloads();
    const user = userEvent.setup();
    renderApp('/recommendations/INC-0001');
    await user.click(await screen.findByRole('button', { name: 'Export experiment plan' }));
    expect(await within(region('Recommended actions')).findByRole('alert')).toHaveTextContent(
      'Could not export the experiment planno recommendation REC-0001-1',
    );
    expect(saved).toHaveLength(0);
  });

  it('says so when there is no action, and disables the export', async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001/recommendations': jsonResponse({ ...RECOMMENDATIONS, recommendations: [], tradeoffs: [] }),
      }),
    );
    renderApp('/recommendations/INC-0001');
    expect(await screen.findByText('No recommended action')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Export experiment plan' })).toBeDisabled();
    expect(screen.getByText('No tradeoff to show')).toBeInTheDocument();
    expect(screen.getByText('No action of this incident has parameters to simulate.')).toBeInTheDocument();
  });

  it("shows the API's message when the recommendations fail", async () => {
    mockApi(
      fixtureRoutes({
        'GET /api/incidents/INC-0001/recommendations': errorResponse(404, 'not_found', 'no incident INC-0001'),
      }),
    );
    renderApp('/recommendations/INC-0001');
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not load the recommendations for INC-0001no incident INC-0001');
  });

  it('says plainly, without a retry button, that the recommendations stage has not run (501)', async () => {
    const message =
      'recommendations for INC-0001: the recommendations stage has not produced recommendations for this incident (the stored analysis has none)';
    mockApi(fixtureRoutes({ 'GET /api/incidents/INC-0001/recommendations': errorResponse(501, 'not_implemented', message) }));
    renderApp('/recommendations/INC-0001');

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(`Not available yet: the recommendations for INC-0001${message}`);
    expect(alert).toHaveTextContent('HTTP 501 · not_implemented');
    expect(within(alert).queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
  });
});
