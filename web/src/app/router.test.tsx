import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { fixtureRoutes, mockApi } from '@/testing/mock-api';
import { renderApp } from '@/testing/render-app';

function heading() {
  return screen.getByRole('heading', { level: 1 });
}

describe('routes', () => {
  beforeEach(() => {
    mockApi(fixtureRoutes());
  });

  it('renders the dashboard at / inside the app frame', async () => {
    renderApp('/');

    expect(heading()).toHaveTextContent('Dashboard');
    expect(screen.getByRole('banner')).toHaveTextContent('cxagent');
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeInTheDocument();
    expect(screen.getByRole('main')).toContainElement(heading());
    expect(screen.getByRole('heading', { name: 'CX Score trend' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Incidents' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('health')).toHaveTextContent('API ok'));
  });

  it('links to the API docs with a full-page navigation the router does not intercept', () => {
    renderApp('/');

    const link = within(screen.getByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'API docs' });
    expect(link).toHaveAttribute('href', '/api/docs');
    // A router <Link> would call preventDefault on the click; the browser must load /api/docs from the server.
    let interceptedByApp: boolean | undefined;
    const listener = (event: Event) => {
      interceptedByApp = event.defaultPrevented;
      event.preventDefault(); // jsdom cannot navigate; stop it trying
    };
    document.addEventListener('click', listener);
    try {
      link.click();
    } finally {
      document.removeEventListener('click', listener);
    }
    expect(interceptedByApp).toBe(false);
  });

  it('renders the incident page with the id from the URL and a link to its RCA', async () => {
    renderApp('/incidents/INC-0001');

    expect(heading()).toHaveTextContent('Incident INC-0001');
    expect(screen.getByRole('link', { name: 'Root cause analysis →' })).toHaveAttribute('href', '/rca/INC-0001');
    expect(await screen.findByRole('heading', { name: 'Top regressing slices' })).toBeInTheDocument();
  });

  it('renders the RCA page linking back to the incident and on to recommendations', async () => {
    renderApp('/rca/INC-0001');

    expect(heading()).toHaveTextContent('Root cause of INC-0001');
    expect(screen.getByRole('link', { name: '← Incident' })).toHaveAttribute('href', '/incidents/INC-0001');
    expect(screen.getByRole('link', { name: 'Recommendations →' })).toHaveAttribute(
      'href',
      '/recommendations/INC-0001',
    );
    expect(await screen.findByRole('heading', { name: 'Ranked root causes' })).toBeInTheDocument();
  });

  it('renders the recommendations page with the export once the actions are loaded', async () => {
    renderApp('/recommendations/INC-0001');

    expect(heading()).toHaveTextContent('Recommendations for INC-0001');
    expect(await screen.findByRole('button', { name: 'Export experiment plan' })).toBeEnabled();
    expect(screen.getByRole('link', { name: '← Root cause' })).toHaveAttribute('href', '/rca/INC-0001');
  });

  it('marks the current step in the incident navigation', () => {
    renderApp('/rca/INC-0001');

    const steps = screen.getByRole('navigation', { name: 'Incident INC-0001' });
    expect(within(steps).getByRole('link', { name: /Root cause/ })).toHaveAttribute('aria-current', 'page');
    expect(within(steps).getByRole('link', { name: /Incident/ })).not.toHaveAttribute('aria-current');
  });

  it('walks incident → RCA → recommendations by following links', async () => {
    const user = userEvent.setup();
    const { router } = renderApp('/incidents/INC-0001');

    await user.click(screen.getByRole('link', { name: 'Root cause analysis →' }));
    expect(router.state.location.pathname).toBe('/rca/INC-0001');
    expect(heading()).toHaveTextContent('Root cause of INC-0001');

    await user.click(screen.getByRole('link', { name: 'Recommendations →' }));
    expect(router.state.location.pathname).toBe('/recommendations/INC-0001');
    expect(heading()).toHaveTextContent('Recommendations for INC-0001');
    expect(screen.getByRole('main')).toHaveFocus();
  });

  it('renders the 404 page for an unknown path, naming it', () => {
    renderApp('/no/such/page');

    expect(heading()).toHaveTextContent('Page not found');
    expect(screen.getByText('/no/such/page')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Back to the dashboard' })).toHaveAttribute('href', '/');
    expect(screen.queryByRole('heading', { name: 'Dashboard' })).not.toBeInTheDocument();
  });
});
