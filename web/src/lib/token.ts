/**
 * The bearer token of a server started with `cxagent serve --token` (or
 * `CXAGENT_TOKEN`): kept for this browser tab only (sessionStorage), shared by
 * the dashboard (every API call sends it) and the API docs page.
 */
const KEY = 'cxagent.api.token';

// Where the token lives when sessionStorage refuses it (disabled storage): this page only.
let fallback = '';

export function loadToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return fallback;
  }
}

export function saveToken(token: string): void {
  const trimmed = token.trim();
  try {
    if (trimmed) sessionStorage.setItem(KEY, trimmed);
    else sessionStorage.removeItem(KEY);
  } catch {
    fallback = trimmed;
  }
}
