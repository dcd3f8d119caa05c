import { describe, expect, it } from 'vitest';
import type { Parameter } from '@/docs/lib/openapi';
import { prepareRequest, sendRequest } from '@/docs/lib/send-request';
import { errorResponse, jsonResponse, mockFetch } from '@/testing/mock-fetch';

const params: Parameter[] = [
  { name: 'id', in: 'path', required: true },
  { name: 'limit', in: 'query' },
  { name: 'severity', in: 'query', required: true },
];

describe('prepareRequest', () => {
  it('fills the path, encodes it, adds set query values and the bearer token', () => {
    const prepared = prepareRequest({
      method: 'patch',
      path: '/api/incidents/{id}',
      parameters: params,
      values: { 'path:id': 'INC 1/2', 'query:severity': 'high', 'query:limit': '' },
      body: '{"status": "resolved"}',
      token: ' s3cret ',
    });
    expect(prepared).toEqual({
      ok: true,
      url: '/api/incidents/INC%201%2F2?severity=high',
      init: {
        method: 'PATCH',
        headers: {
          Accept: 'application/json, text/markdown, text/plain, */*',
          'Content-Type': 'application/json',
          Authorization: 'Bearer s3cret',
        },
        body: '{"status":"resolved"}',
      },
    });
  });

  it('refuses missing required parameters and a body that is not JSON', () => {
    const prepared = prepareRequest({
      method: 'post',
      path: '/api/incidents/{id}',
      parameters: params,
      values: {},
      body: '{status: resolved}',
      token: '',
    });
    expect(prepared.ok).toBe(false);
    if (prepared.ok) return;
    expect(prepared.errors).toHaveLength(3);
    expect(prepared.errors[0]).toBe('id (path) is required');
    expect(prepared.errors[1]).toBe('severity (query) is required');
    expect(prepared.errors[2]).toMatch(/^Request body is not valid JSON: /);
  });

  it('sends no Authorization header without a token', () => {
    const prepared = prepareRequest({ method: 'get', path: '/api/health', parameters: [], values: {}, token: '' });
    expect(prepared.ok && prepared.init.headers).not.toHaveProperty('Authorization');
  });
});

describe('sendRequest', () => {
  it('reads status, headers of interest and pretty-prints a JSON body', async () => {
    mockFetch(() => jsonResponse({ a: [1] }, { headers: { 'Cache-Control': 'no-cache', 'X-Other': 'x' } }));
    const result = await sendRequest('/api/x', { method: 'GET' });
    expect(result.status).toBe(200);
    expect(result.headers).toEqual([
      ['content-type', 'application/json'],
      ['cache-control', 'no-cache'],
    ]);
    expect(result.body).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(result.errorMessage).toBeUndefined();
  });

  it("surfaces the API's error message", async () => {
    mockFetch(() => errorResponse(404, 'not_found', 'no incident INC-9'));
    const result = await sendRequest('/api/incidents/INC-9', { method: 'GET' });
    expect(result.status).toBe(404);
    expect(result.errorMessage).toBe('no incident INC-9');
  });
});
