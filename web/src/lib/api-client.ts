/**
 * The one way the dashboard talks to `cxagent serve`.
 *
 * Every API error has the shape `{"error": {"code", "message", "details"}}`
 * (interfaces.md §5); `apiFetch` turns it, and any other failure (network,
 * non-JSON body, proxy error page), into an `ApiError` so components only
 * ever handle one error type.
 */

import { filenameFromContentDisposition } from '@/lib/download';
import { loadToken } from '@/lib/token';

/** Error codes the server sends (its `Error` schema), plus the ones the client makes up for failures without a body. */
export type ApiErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'payload_too_large'
  | 'method_not_allowed'
  | 'not_implemented'
  | 'io_error'
  | 'internal'
  | 'network_error'
  | 'http_error'
  | 'invalid_response'
  | (string & {});

/** Failure of an API call, carrying what the server said when it said anything. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; 0 when no response arrived at all. */
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly details: Record<string, unknown>;

  constructor(init: {
    status: number;
    code: ApiErrorCode;
    message: string;
    details?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? {};
  }
}

/** Base URL of the API; empty means same origin, which is how `cxagent serve` ships the dashboard. */
const API_BASE_URL: string = import.meta.env.VITE_API_BASE_URL ?? '';

export type ApiRequestOptions = {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Query parameters; `undefined` values are left out. */
  params?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Builds `/api/...?a=1` from a path and parameters, skipping undefined ones. */
export function buildUrl(path: string, params?: ApiRequestOptions['params']): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined) search.set(key, String(value));
  }
  const query = search.toString();
  return `${API_BASE_URL}${path}${query ? `?${query}` : ''}`;
}

/** Reads the server's error envelope from a failed response, or describes the failure when there is none. */
export async function toApiError(response: Response, what: string): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const envelope = isRecord(parsed) ? parsed.error : undefined;
  if (isRecord(envelope) && typeof envelope.message === 'string') {
    return new ApiError({
      status: response.status,
      code: typeof envelope.code === 'string' ? envelope.code : 'http_error',
      message: envelope.message,
      details: isRecord(envelope.details) ? envelope.details : {},
    });
  }
  const statusText = response.statusText ? ` ${response.statusText}` : '';
  return new ApiError({
    status: response.status,
    code: 'http_error',
    message: `${what} failed with HTTP ${response.status}${statusText}`,
  });
}

async function send(path: string, options: ApiRequestOptions, accept: string): Promise<Response> {
  const method = options.method ?? 'GET';
  const what = `${method} ${path}`;
  const headers: Record<string, string> = { Accept: accept };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  // A server started with --token answers 401 without it (the token prompt stores it).
  const token = loadToken();
  if (token) headers.Authorization = `Bearer ${token}`;

  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.params), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (cause) {
    // An abort is React Query cancelling the request; let it through untouched.
    if (options.signal?.aborted) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ApiError({
      status: 0,
      code: 'network_error',
      message: `${what}: could not reach the API (${reason})`,
      cause,
    });
  }
  if (!response.ok) throw await toApiError(response, what);
  return response;
}

/** Calls a JSON endpoint and returns its parsed body; throws `ApiError` on any failure. */
export async function apiFetch<T>(path: string, options: ApiRequestOptions = {}): Promise<T> {
  const response = await send(path, options, 'application/json');
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new ApiError({
      status: response.status,
      code: 'invalid_response',
      message: `${options.method ?? 'GET'} ${path} returned a body that is not JSON`,
      cause,
    });
  }
}

/** Calls an endpoint that answers with text (the experiment plan is `text/markdown`). */
export async function apiFetchText(path: string, options: ApiRequestOptions = {}): Promise<string> {
  const response = await send(path, options, 'text/markdown, text/plain');
  return response.text();
}

/** A text file the API sent for download, with the name its `Content-Disposition` gives (null when none). */
export type ApiTextFile = { text: string; filename: string | null; contentType: string };

/** Calls an endpoint that answers with a text file to save (the experiment plan is `text/markdown`). */
export async function apiFetchTextFile(
  path: string,
  options: ApiRequestOptions = {},
  accept = 'text/markdown, text/plain',
): Promise<ApiTextFile> {
  const response = await send(path, options, accept);
  return {
    text: await response.text(),
    filename: filenameFromContentDisposition(response.headers.get('Content-Disposition')),
    contentType: response.headers.get('Content-Type') ?? 'text/plain',
  };
}
