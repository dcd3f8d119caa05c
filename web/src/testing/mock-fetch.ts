import { vi } from 'vitest';
import type { Health } from '@/types/api';

/** A JSON response as the server would send it. */
export function jsonResponse(body: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    ...init,
    headers: { 'Content-Type': 'application/json', ...init.headers },
  });
}

/** The server's error envelope (interfaces.md §5). */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): Response {
  return jsonResponse({ error: { code, message, details } }, { status });
}

type Handler = (url: string, init?: RequestInit) => Response | Promise<Response>;

/**
 * Replaces `globalThis.fetch` for one test; the network is mocked here and
 * nowhere else. Returns the spy to assert which URLs were called.
 */
export function mockFetch(handler: Handler) {
  const spy = vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return Promise.resolve().then(() => handler(url, init));
  });
  vi.stubGlobal('fetch', spy);
  return spy;
}

/** A fetch that never answers, to observe loading states. */
export function mockFetchPending() {
  const spy = vi.fn(() => new Promise<Response>(() => {}));
  vi.stubGlobal('fetch', spy);
  return spy;
}

/** `GET /api/health` of a server that has analysed its data and is not re-analysing. */
export const HEALTH_OK: Health = {
  status: 'ok',
  version: '0.1.0',
  data: {
    orders: 1234,
    start_date: '2026-06-01',
    end_date: '2026-08-29',
    dimensions: ['region'],
    cx_score: { components: ['cancelled', 'late', 'missing_lines', 'rejected_substitutions', 'contact', 'rating'], unavailable: [] },
    unavailable: [],
  },
  analyzed_at: '2026-11-24T21:50:00Z',
  incidents: 3,
  analysis: { state: 'idle', started_at: null, finished_at: null, last_error: null },
  schedule: null,
};
