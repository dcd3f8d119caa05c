import { buildUrl, toApiError } from '@/lib/api-client';
import type { HttpMethod, Parameter } from '@/docs/lib/openapi';
import { authHeaders } from '@/docs/lib/token';

/** Response headers worth showing next to the body. */
export const HEADERS_OF_INTEREST = [
  'content-type',
  'content-length',
  'cache-control',
  'allow',
  'www-authenticate',
  'location',
  'x-request-id',
] as const;

export type TryItRequest = {
  method: HttpMethod;
  /** Path template, e.g. `/api/incidents/{id}`. */
  path: string;
  parameters: Parameter[];
  /** Values typed by the user, keyed by `in:name`. */
  values: Record<string, string>;
  /** Raw text of the JSON body editor; `undefined` when the operation takes no body. */
  body?: string;
  token: string;
};

export type TryItResult = {
  status: number;
  statusText: string;
  url: string;
  durationMs: number;
  headers: [string, string][];
  /** Pretty-printed when it is JSON, as sent otherwise. */
  body: string;
  /** The API's error message (`{"error": {"message"}}`) for a failed call. */
  errorMessage?: string;
};

export type Prepared =
  | { ok: true; url: string; init: RequestInit }
  | { ok: false; errors: string[] };

export const valueKey = (p: Pick<Parameter, 'in' | 'name'>) => `${p.in}:${p.name}`;

/** Checks the user's input and turns it into a fetch call; nothing is sent when this fails. */
export function prepareRequest(request: TryItRequest): Prepared {
  const errors: string[] = [];
  let path = request.path;
  const query: Record<string, string> = {};
  const headers: Record<string, string> = { Accept: 'application/json, text/markdown, text/plain, */*' };

  for (const parameter of request.parameters) {
    const value = (request.values[valueKey(parameter)] ?? '').trim();
    if (!value) {
      if (parameter.required || parameter.in === 'path') errors.push(`${parameter.name} (${parameter.in}) is required`);
      continue;
    }
    if (parameter.in === 'path') path = path.replace(`{${parameter.name}}`, encodeURIComponent(value));
    else if (parameter.in === 'query') query[parameter.name] = value;
    else if (parameter.in === 'header') headers[parameter.name] = value;
  }

  let body: string | undefined;
  if (request.body !== undefined && request.body.trim() !== '') {
    try {
      body = JSON.stringify(JSON.parse(request.body));
      headers['Content-Type'] = 'application/json';
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      errors.push(`Request body is not valid JSON: ${reason}`);
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    url: buildUrl(path, query),
    init: { method: request.method.toUpperCase(), headers: { ...headers, ...authHeaders(request.token) }, body },
  };
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Sends a prepared call and reads everything the page shows; network failures are thrown. */
export async function sendRequest(url: string, init: RequestInit): Promise<TryItResult> {
  const started = performance.now();
  const response = await fetch(url, init);
  const durationMs = Math.round(performance.now() - started);
  const headers = HEADERS_OF_INTEREST.flatMap((name): [string, string][] => {
    const value = response.headers.get(name);
    return value === null ? [] : [[name, value]];
  });
  const text = await response.clone().text();
  const errorMessage = response.ok
    ? undefined
    : (await toApiError(response, `${init.method ?? 'GET'} ${url}`)).message;
  return {
    status: response.status,
    statusText: response.statusText,
    url,
    durationMs,
    headers,
    body: pretty(text),
    errorMessage,
  };
}
