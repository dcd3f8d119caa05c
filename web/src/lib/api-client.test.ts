import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, apiFetch, apiFetchText, buildUrl } from '@/lib/api-client';
import { saveToken } from '@/lib/token';
import { errorResponse, jsonResponse, mockFetch } from '@/testing/mock-fetch';

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw new Error(`expected an ApiError, got ${String(error)}`);
  }
  throw new Error('expected the call to fail');
}

describe('apiFetch', () => {
  it('returns the parsed body of a successful response', async () => {
    const fetchSpy = mockFetch(() => jsonResponse({ status: 'ok', version: '0.1.0', data: null }));

    await expect(apiFetch('/api/health')).resolves.toEqual({ status: 'ok', version: '0.1.0', data: null });
    expect(fetchSpy).toHaveBeenCalledOnce();
    expect(fetchSpy.mock.calls[0]?.[0]).toBe('/api/health');
  });

  it('turns the server error envelope into an ApiError with status, code, message and details', async () => {
    mockFetch(() =>
      errorResponse(404, 'not_found', 'no incident with id INC-9999', { id: 'INC-9999' }),
    );

    const error = await caught(apiFetch('/api/incidents/INC-9999'));

    expect(error.status).toBe(404);
    expect(error.code).toBe('not_found');
    expect(error.message).toBe('no incident with id INC-9999');
    expect(error.details).toEqual({ id: 'INC-9999' });
  });

  it('keeps the code of a 400 that names the bad parameter', async () => {
    mockFetch(() => errorResponse(400, 'invalid_input', "parameter 'limit' must be a positive integer"));

    const error = await caught(apiFetch('/api/incidents', { params: { limit: -1 } }));

    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain("'limit'");
    expect(error.details).toEqual({});
  });

  it('describes a failure whose body is not JSON by method, path and status', async () => {
    mockFetch(
      () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );

    const error = await caught(apiFetch('/api/health'));

    expect(error.status).toBe(502);
    expect(error.code).toBe('http_error');
    expect(error.message).toBe('GET /api/health failed with HTTP 502 Bad Gateway');
  });

  it('does not mistake JSON without an error envelope for a server message', async () => {
    mockFetch(() => jsonResponse({ detail: 'nope' }, { status: 500 }));

    const error = await caught(apiFetch('/api/health'));

    expect(error.code).toBe('http_error');
    expect(error.message).toBe('GET /api/health failed with HTTP 500');
  });

  it('reports a network failure with status 0', async () => {
    mockFetch(() => {
      throw new TypeError('Failed to fetch');
    });

    const error = await caught(apiFetch('/api/health'));

    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
    expect(error.message).toBe('GET /api/health: could not reach the API (Failed to fetch)');
  });

  it('rejects a successful response whose body is not JSON', async () => {
    mockFetch(() => new Response('<!doctype html><html></html>', { status: 200 }));

    const error = await caught(apiFetch('/api/health'));

    expect(error.status).toBe(200);
    expect(error.code).toBe('invalid_response');
    expect(error.message).toContain('not JSON');
  });

  it('sends a JSON body with its content type', async () => {
    const fetchSpy = mockFetch(() => jsonResponse({ id: 'INC-0001', status: 'acknowledged' }));

    await apiFetch('/api/incidents/INC-0001', { method: 'PATCH', body: { status: 'acknowledged' } });

    const init = fetchSpy.mock.calls[0]?.[1];
    expect(init?.method).toBe('PATCH');
    expect(init?.body).toBe('{"status":"acknowledged"}');
    expect(init?.headers).toMatchObject({ 'Content-Type': 'application/json' });
  });
});

describe('apiFetchText', () => {
  it('returns the text body, and the error envelope on failure', async () => {
    mockFetch(() => new Response('# Experiment plan\n', { headers: { 'Content-Type': 'text/markdown' } }));
    await expect(apiFetchText('/api/incidents/INC-0001/experiment-plan', { method: 'POST' })).resolves.toBe(
      '# Experiment plan\n',
    );

    mockFetch(() => errorResponse(404, 'not_found', 'no recommendation REC-9'));
    const error = await caught(apiFetchText('/api/incidents/INC-0001/experiment-plan', { method: 'POST' }));
    expect(error.message).toBe('no recommendation REC-9');
  });
});

describe('the bearer token', () => {
  afterEach(() => saveToken(''));

  it('is sent with every call once stored, and not before', async () => {
    const spy = mockFetch(() => jsonResponse({}));
    await apiFetch('/api/health');
    expect(new Headers(spy.mock.calls[0]?.[1]?.headers).has('Authorization')).toBe(false);

    saveToken('  s3cret ');
    await apiFetch('/api/feedback');
    await apiFetchText('/api/incidents/INC-0001/experiment-plan', { method: 'POST' });
    expect(new Headers(spy.mock.calls[1]?.[1]?.headers).get('Authorization')).toBe('Bearer s3cret');
    expect(new Headers(spy.mock.calls[2]?.[1]?.headers).get('Authorization')).toBe('Bearer s3cret');
  });
});

describe('buildUrl', () => {
  it('adds defined parameters and leaves undefined ones out', () => {
    expect(buildUrl('/api/incidents', { severity: 'high', limit: 10, status: undefined })).toBe(
      '/api/incidents?severity=high&limit=10',
    );
    expect(buildUrl('/api/health')).toBe('/api/health');
  });
});
