import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addStoredToken, mountDocs, OPENAPI_URL } from '@/docs/mount-docs';
import { SAMPLE_OPENAPI } from '@/docs/testing/sample-openapi';
import { loadToken, saveToken } from '@/lib/token';
import { errorResponse, jsonResponse, mockFetch } from '@/testing/mock-fetch';

type Call = { path: string; method: string; authorization: string | null };

/** The `Authorization` header of a fetch call, whatever form swagger-client gave the headers in. */
function authorizationOf(init?: RequestInit): string | null {
  return new Headers(init?.headers).get('Authorization');
}

/**
 * A server like `cxagent serve`: the sample document at /api/openapi.json, `GET /api/health`,
 * and with `token` set, 401 for any request without `Authorization: Bearer <token>`.
 */
function serve({ token }: { token?: string } = {}) {
  const calls: Call[] = [];
  mockFetch((url, init) => {
    const path = new URL(url, window.location.href).pathname;
    const authorization = authorizationOf(init);
    calls.push({ path, method: (init?.method ?? 'GET').toUpperCase(), authorization });
    if (token && authorization !== `Bearer ${token}`) {
      return errorResponse(401, 'unauthorized', "this server requires 'Authorization: Bearer <token>' on /api routes");
    }
    if (path === OPENAPI_URL) return jsonResponse(SAMPLE_OPENAPI);
    if (path === '/api/health') return jsonResponse({ status: 'ok', version: '0.1.0' });
    return errorResponse(404, 'not_found', `no route ${path}`);
  });
  return calls;
}

function mount() {
  const root = document.createElement('div');
  document.body.append(root);
  mountDocs(root);
  return root;
}

/** Every operation Swagger UI shows, as `METHOD path`. */
function shownOperations(root: HTMLElement): string[] {
  return [...root.querySelectorAll('.opblock')].map((block) => {
    const method = block.querySelector('.opblock-summary-method')?.textContent ?? '?';
    const path = block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '?';
    return `${method} ${path}`;
  });
}

async function waitForOperations(root: HTMLElement) {
  await waitFor(() => expect(root.querySelectorAll('.opblock').length).toBeGreaterThan(0), { timeout: 5_000 });
}

/** Expands `GET /api/health`, turns on "Try it out" and executes it. */
async function tryHealth(root: HTMLElement) {
  const user = userEvent.setup();
  const block = root.querySelector<HTMLElement>('#operations-default-GET_\\/api\\/health, .opblock-get');
  if (!block) throw new Error('no GET /api/health block');
  await user.click(within(block).getByRole('button', { name: /\/api\/health/ }));
  await user.click(await within(block).findByRole('button', { name: 'Try it out' }));
  await user.click(await within(block).findByRole('button', { name: 'Execute' }));
  return block;
}

/** Swagger UI's "Authorize" button above the operations (locked once a token is set). */
function authorizeButton(root: HTMLElement): HTMLElement {
  const button = root.querySelector<HTMLElement>('.auth-wrapper .authorize');
  if (!button) throw new Error('no Authorize button');
  return button;
}

/** Swagger UI's "Available authorizations" modal. */
async function findAuthDialog(): Promise<HTMLElement> {
  await screen.findByRole('heading', { name: 'Available authorizations' });
  const modal = document.querySelector<HTMLElement>('.modal-ux');
  if (!modal) throw new Error('no authorization modal');
  return modal;
}

describe('the /api/docs page (Swagger UI)', () => {
  beforeEach(() => sessionStorage.clear());
  afterEach(() => document.body.replaceChildren());

  it('renders every operation of the served OpenAPI document', async () => {
    const calls = serve();
    const root = mount();
    await waitForOperations(root);

    expect(shownOperations(root).sort()).toEqual(['GET /api/health', 'GET /api/incidents', 'PATCH /api/incidents/{id}']);
    expect(root).toHaveTextContent('cxagent API');
    expect(root).toHaveTextContent('Customer-experience regressions in fulfillment data');
    expect(calls[0]).toEqual({ path: OPENAPI_URL, method: 'GET', authorization: null });
    expect(screen.getByRole('link', { name: '← Dashboard' })).toHaveAttribute('href', '/');
    // Nothing loaded from elsewhere: every request went to this origin's /api.
    expect(calls.every((call) => call.path.startsWith('/api/'))).toBe(true);
  });

  it('tries GET /api/health out and shows the answer', async () => {
    const calls = serve();
    const root = mount();
    await waitForOperations(root);
    const block = await tryHealth(root);

    await waitFor(() => expect(calls.some((call) => call.path === '/api/health')).toBe(true));
    expect(calls.find((call) => call.path === '/api/health')?.authorization).toBeNull();
    await waitFor(() => expect(block.querySelector('.live-responses-table .response .response-col_status')).toHaveTextContent('200'));
  });

  it('sends the stored token with the document and with try-it-out, shown as authorized', async () => {
    saveToken('s3cret');
    const calls = serve({ token: 's3cret' });
    const root = mount();
    await waitForOperations(root);
    expect(calls[0]).toEqual({ path: OPENAPI_URL, method: 'GET', authorization: 'Bearer s3cret' });
    await waitFor(() => expect(authorizeButton(root)).toHaveClass('locked'));

    const block = await tryHealth(root);
    await waitFor(() => expect(calls.some((call) => call.path === '/api/health')).toBe(true));
    expect(calls.filter((call) => call.path === '/api/health').map((call) => call.authorization)).toEqual(['Bearer s3cret']);
    await waitFor(() => expect(block.querySelector('.live-responses-table .response .response-col_status')).toHaveTextContent('200'));
  });

  it('asks for the token when the server answers the document with 401, then loads it', async () => {
    const calls = serve({ token: 's3cret' });
    const root = mount();
    const form = await screen.findByRole('form', { name: 'Bearer token' });
    await waitFor(() => expect(form).toBeVisible());
    expect(within(form).getByRole('alert')).toHaveTextContent("this server requires 'Authorization: Bearer <token>' on /api routes");
    expect(root.querySelectorAll('.opblock')).toHaveLength(0);

    const user = userEvent.setup();
    await user.type(within(form).getByLabelText('Bearer token'), '  s3cret ');
    await user.click(within(form).getByRole('button', { name: 'Authorize' }));

    await waitForOperations(root);
    expect(form).not.toBeVisible();
    expect(loadToken()).toBe('s3cret');
    expect(calls.filter((call) => call.path === OPENAPI_URL).map((call) => call.authorization)).toEqual([null, 'Bearer s3cret']);

    await tryHealth(root);
    await waitFor(() => expect(calls.some((call) => call.path === '/api/health')).toBe(true));
    expect(calls.find((call) => call.path === '/api/health')?.authorization).toBe('Bearer s3cret');
  });

  it('stores a token entered in Swagger UI’s Authorize dialog, and forgets it on Logout', async () => {
    const calls = serve();
    const root = mount();
    await waitForOperations(root);
    const user = userEvent.setup();

    await user.click(authorizeButton(root));
    const dialog = await findAuthDialog();
    await user.type(within(dialog).getByLabelText('auth-bearer-value'), 'from-dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Apply credentials' }));
    expect(loadToken()).toBe('from-dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Close' }));

    await tryHealth(root);
    await waitFor(() => expect(calls.some((call) => call.path === '/api/health')).toBe(true));
    expect(calls.find((call) => call.path === '/api/health')?.authorization).toBe('Bearer from-dialog');

    await user.click(authorizeButton(root));
    await user.click(within(await findAuthDialog()).getByRole('button', { name: 'Remove authorization' }));
    expect(loadToken()).toBe('');
  });
});

describe('addStoredToken', () => {
  beforeEach(() => sessionStorage.clear());

  it('adds the stored token to requests for this server only, without replacing one already set', () => {
    expect(addStoredToken({ url: '/api/health', headers: {} }).headers).toEqual({});
    saveToken('abc');
    expect(addStoredToken({ url: '/api/health', headers: {} }).headers).toEqual({ Authorization: 'Bearer abc' });
    expect(addStoredToken({ url: `${window.location.origin}/api/x` }).headers).toEqual({ Authorization: 'Bearer abc' });
    expect(addStoredToken({ url: 'https://elsewhere.example/api', headers: {} }).headers).toEqual({});
    expect(addStoredToken({ url: '/api/health', headers: { authorization: 'Bearer other' } }).headers).toEqual({
      authorization: 'Bearer other',
    });
  });
});
