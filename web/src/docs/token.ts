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
  const trimmed = token.trim();
  try {
    if (trimmed) sessionStorage.setItem(KEY, trimmed);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage can be disabled; the token then lives only in Swagger UI's state.
  }
}
