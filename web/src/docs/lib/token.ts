/** The bearer token the docs page sends; kept for this browser tab only (sessionStorage). */
const KEY = 'cxagent.api-docs.token';

export function loadToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveToken(token: string): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage can be disabled; the token then lives only in memory.
  }
}

/** `{Authorization: 'Bearer …'}` when there is a token, else nothing. */
export function authHeaders(token: string): Record<string, string> {
  const trimmed = token.trim();
  return trimmed ? { Authorization: `Bearer ${trimmed}` } : {};
}
