import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { DocsPage } from '@/docs/components/docs-page';
import { SAMPLE_OPENAPI } from '@/docs/testing/sample-openapi';
import { errorResponse, jsonResponse, mockFetch, mockFetchPending } from '@/testing/mock-fetch';
import { renderWithQuery } from '@/testing/render-app';

type Call = { url: string; init?: RequestInit };

/** Serves the sample document; any other call is answered by `other` and recorded. */
function serveDocs(other: (call: Call) => Response = () => jsonResponse({})) {
  const calls: Call[] = [];
  const spy = mockFetch((url, init) => {
    calls.push({ url, init });
    if (url === '/api/openapi.json') return jsonResponse(SAMPLE_OPENAPI);
    return other({ url, init });
  });
  return { calls, spy };
}

async function openOperation(name: string) {
  const user = userEvent.setup();
  const article = await screen.findByRole('article', { name });
  await user.click(within(article).getByRole('button', { name: new RegExp(name.split(' ')[1] ?? '') }));
  return { user, article };
}

describe('DocsPage', () => {
  beforeEach(() => sessionStorage.clear());

  it('shows title, version and description, and the endpoints grouped by path prefix', async () => {
    const { calls } = serveDocs();
    renderWithQuery(<DocsPage />);

    expect(await screen.findByRole('heading', { level: 1, name: 'cxagent API' })).toBeInTheDocument();
    expect(screen.getByText('v0.1.0')).toBeInTheDocument();
    expect(screen.getByText(/Customer-experience regressions in fulfillment data/)).toBeInTheDocument();
    expect(calls[0]?.url).toBe('/api/openapi.json');

    const incidents = screen.getByRole('region', { name: 'incidents' });
    expect(within(incidents).getAllByRole('article').map((a) => a.getAttribute('aria-label'))).toEqual([
      'GET /api/incidents',
      'PATCH /api/incidents/{id}',
    ]);
    expect(within(screen.getByRole('region', { name: 'health' })).getAllByRole('article')).toHaveLength(1);
    expect(screen.getByRole('navigation', { name: 'Endpoints' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '← Back to the dashboard' })).toHaveAttribute('href', '/');
  });

  it('expands an operation into its parameters, request body and responses with the $ref’d error schema', async () => {
    serveDocs();
    renderWithQuery(<DocsPage />);
    const { article } = await openOperation('PATCH /api/incidents/{id}');

    const rows = within(within(article).getByRole('table')).getAllByRole('row');
    expect(rows[1]).toHaveTextContent(/id\s*path\s*yes\s*string\s*Incident id/);

    const body = within(article).getByRole('heading', { name: 'Request body' }).parentElement as HTMLElement;
    expect(body).toHaveTextContent('application/json · required');
    expect(body).toHaveTextContent('statusrequired: string');
    expect(body).toHaveTextContent('one of "open", "acknowledged", "resolved"');
    expect(body).toHaveTextContent('Free text kept with the incident');

    const responses = within(article).getByRole('heading', { name: 'Responses' }).parentElement as HTMLElement;
    const [ok, notFound] = within(responses).getAllByRole('listitem').filter((li) => li.parentElement?.parentElement === responses);
    expect(ok).toHaveTextContent(/^200The updated incident/);
    expect(ok).toHaveTextContent('Incident (object)');
    expect(ok).toHaveTextContent('idrequired: string');
    expect(notFound).toHaveTextContent(/^404No such resource/);
    expect(notFound).toHaveTextContent('Error (object)');
    expect(notFound).toHaveTextContent('codereq');
    expect(notFound).toHaveTextContent('messagerequired: string');
    expect(notFound).toHaveTextContent('detailsrequired: object');
  });

  it('documents the shared error shape once for the whole API', async () => {
    serveDocs();
    renderWithQuery(<DocsPage />);

    const errors = await screen.findByRole('region', { name: 'Errors' });
    expect(errors).toHaveTextContent('Error (object)');
    expect(errors).toHaveTextContent('errorrequired: object');
    expect(errors).toHaveTextContent('messagerequired: string');
  });

  it('renders query parameters with their schema and whether they are required', async () => {
    serveDocs();
    renderWithQuery(<DocsPage />);
    const { article } = await openOperation('GET /api/incidents');

    const rows = within(within(article).getByRole('table')).getAllByRole('row');
    expect(rows.slice(1).map((r) => r.textContent)).toEqual(['severityquerynostringOnly this severity', 'limitquerynointeger']);
    expect(within(article).getByText('array of Incident')).toBeInTheDocument();
  });

  it('tries an operation out: sends method, URL, token and body, then shows the response', async () => {
    sessionStorage.setItem('cxagent.api-docs.token', 'tok-1');
    const { calls } = serveDocs(() =>
      jsonResponse({ id: 'INC-7', status: 'resolved' }, { headers: { 'Cache-Control': 'no-store' } }),
    );
    renderWithQuery(<DocsPage />);
    const { user, article } = await openOperation('PATCH /api/incidents/{id}');
    await user.click(within(article).getByRole('button', { name: 'Try it out' }));

    const form = within(article).getByRole('form', { name: 'Try PATCH /api/incidents/{id}' });
    await user.type(within(form).getByLabelText(/^id/), 'INC-7');
    const editor = within(form).getByLabelText(/Request body/);
    expect(JSON.parse((editor as HTMLTextAreaElement).value)).toEqual({ status: 'open', note: 'string' });
    await user.clear(editor);
    await user.type(editor, '{{"status": "resolved"}');
    await user.click(within(form).getByRole('button', { name: 'Send' }));

    const status = await within(form).findByTestId('response-status');
    expect(status).toHaveTextContent('200');
    const sent = calls.at(-1);
    expect(sent?.url).toBe('/api/incidents/INC-7');
    expect(sent?.init?.method).toBe('PATCH');
    expect(sent?.init?.headers).toMatchObject({ Authorization: 'Bearer tok-1', 'Content-Type': 'application/json' });
    expect(sent?.init?.body).toBe('{"status":"resolved"}');
    expect(within(form).getByTestId('response-body')).toHaveTextContent('"id": "INC-7"');
    expect(within(form).getByText('cache-control')).toBeInTheDocument();
    expect(within(form).getByText('no-store')).toBeInTheDocument();
    // The document itself was fetched with the token too.
    expect(calls[0]?.init?.headers).toMatchObject({ Authorization: 'Bearer tok-1' });
  });

  it('sends query parameters and shows the API error message of a failed call', async () => {
    const { calls } = serveDocs(() => errorResponse(400, 'invalid_input', "parameter 'limit' must be a positive integer"));
    renderWithQuery(<DocsPage />);
    const { user, article } = await openOperation('GET /api/incidents');
    await user.click(within(article).getByRole('button', { name: 'Try it out' }));
    const form = within(article).getByRole('form');
    await user.type(within(form).getByLabelText(/^limit/), '-1');
    await user.click(within(form).getByRole('button', { name: 'Send' }));

    expect(await within(form).findByRole('alert')).toHaveTextContent("parameter 'limit' must be a positive integer");
    expect(within(form).getByTestId('response-status')).toHaveTextContent('400');
    expect(calls.at(-1)?.url).toBe('/api/incidents?limit=-1');
    expect(calls.at(-1)?.init?.method).toBe('GET');
    expect(calls.at(-1)?.init?.body).toBeUndefined();
    expect(calls.at(-1)?.init?.headers).not.toHaveProperty('Authorization');
  });

  it('refuses a body that is not JSON and sends nothing', async () => {
    const { calls } = serveDocs();
    renderWithQuery(<DocsPage />);
    const { user, article } = await openOperation('PATCH /api/incidents/{id}');
    await user.click(within(article).getByRole('button', { name: 'Try it out' }));
    const form = within(article).getByRole('form');
    await user.type(within(form).getByLabelText(/^id/), 'INC-7');
    const editor = within(form).getByLabelText(/Request body/);
    await user.clear(editor);
    await user.type(editor, '{{status: resolved');
    await user.click(within(form).getByRole('button', { name: 'Send' }));

    expect(within(form).getByRole('alert')).toHaveTextContent(/Nothing was sent.*Request body is not valid JSON/);
    expect(calls.map((c) => c.url)).toEqual(['/api/openapi.json']);
    expect(within(form).queryByTestId('response-status')).not.toBeInTheDocument();
  });

  it('keeps the bearer token in sessionStorage and refetches the document with it', async () => {
    const { calls } = serveDocs();
    renderWithQuery(<DocsPage />);
    const user = userEvent.setup();
    await screen.findByRole('heading', { level: 1, name: 'cxagent API' });
    expect(calls[0]?.init?.headers).not.toHaveProperty('Authorization');

    await user.type(screen.getByLabelText(/Bearer token/), 'abc');
    await user.click(screen.getByRole('button', { name: 'Authorize' }));

    expect(sessionStorage.getItem('cxagent.api-docs.token')).toBe('abc');
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]?.init?.headers).toMatchObject({ Authorization: 'Bearer abc' });

    await user.click(screen.getByRole('button', { name: 'Clear' }));
    expect(sessionStorage.getItem('cxagent.api-docs.token')).toBeNull();
  });

  it('shows a loading state while the document is on its way', () => {
    mockFetchPending();
    renderWithQuery(<DocsPage />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading the API description');
  });

  it("shows the API's message when the document cannot be fetched, with a hint on 401", async () => {
    mockFetch(() => errorResponse(401, 'unauthorized', "this server requires 'Authorization: Bearer <token>' on /api routes"));
    renderWithQuery(<DocsPage />);

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the API description');
    expect(alert).toHaveTextContent("this server requires 'Authorization: Bearer <token>' on /api routes");
    expect(alert).toHaveTextContent('enter it above and choose Authorize');
    expect(screen.queryByRole('article')).not.toBeInTheDocument();
  });

  it('says so when nothing answers', async () => {
    mockFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    renderWithQuery(<DocsPage />);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'GET /api/openapi.json: could not reach the API (Failed to fetch)',
    );
  });
});
