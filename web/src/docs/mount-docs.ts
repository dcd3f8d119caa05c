import SwaggerUI from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import { loadToken, saveToken } from '@/lib/token';

/** Where `cxagent serve` answers its OpenAPI document. */
export const OPENAPI_URL = '/api/openapi.json';
/** The bearer scheme's name in the document's `components.securitySchemes`. */
export const BEARER_SCHEME = 'bearer';

/** What swagger-client hands the interceptors (the fields this page reads). */
type ClientRequest = { url: string; headers?: Record<string, string> };
type ClientResponse = { url: string; status: number; text?: string };
type AuthPayload = Record<string, { value?: unknown } | undefined>;
type Action<T> = (payload: T) => unknown;

function isSameOrigin(url: string): boolean {
  try {
    return new URL(url, window.location.href).origin === window.location.origin;
  } catch {
    return false;
  }
}

function isDocument(url: string): boolean {
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.origin === window.location.origin && parsed.pathname === OPENAPI_URL;
  } catch {
    return false;
  }
}

/**
 * Adds `Authorization: Bearer <stored token>` to a request for this server that has none: the
 * document fetch (Swagger UI sends no auth with it) and every try-it-out. A token entered in
 * Swagger UI's own "Authorize" dialog is stored too (see `tokenPlugin`), so both agree.
 */
export function addStoredToken(request: ClientRequest): ClientRequest {
  const token = loadToken();
  const headers = request.headers ?? {};
  const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (token && !hasAuthorization && isSameOrigin(request.url)) {
    request.headers = { ...headers, Authorization: `Bearer ${token}` };
  }
  return request;
}

/** The `error.message` of the server's JSON error envelope, or the status line when there is none. */
function errorMessage(response: ClientResponse): string {
  try {
    const message = (JSON.parse(response.text ?? '') as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string' && message) return message;
  } catch {
    // Not JSON: fall through to the status.
  }
  return `HTTP ${response.status}`;
}

/** Keeps the stored token in step with Swagger UI's "Authorize" and "Logout" for the bearer scheme. */
const tokenPlugin = () => ({
  statePlugins: {
    auth: {
      wrapActions: {
        authorize: (original: Action<AuthPayload>) => (payload: AuthPayload) => {
          const value = payload?.[BEARER_SCHEME]?.value;
          if (typeof value === 'string') saveToken(value);
          return original(payload);
        },
        logout: (original: Action<unknown>) => (names: unknown) => {
          if (Array.isArray(names) && names.includes(BEARER_SCHEME)) saveToken('');
          return original(names);
        },
      },
    },
  },
});

/**
 * The form shown when the server answers the document with 401 (`cxagent serve --token`):
 * Swagger UI has no document yet, hence no "Authorize" button of its own.
 */
function createTokenForm(onToken: (token: string) => void) {
  const form = document.createElement('form');
  form.className = 'docs-token';
  form.hidden = true;
  form.setAttribute('aria-label', 'Bearer token');
  const message = document.createElement('p');
  message.setAttribute('role', 'alert');
  const label = document.createElement('label');
  label.textContent = 'Bearer token ';
  const input = document.createElement('input');
  input.type = 'password';
  input.name = 'token';
  input.autocomplete = 'off';
  input.required = true;
  label.append(input);
  const submit = document.createElement('button');
  submit.type = 'submit';
  submit.textContent = 'Authorize';
  const note = document.createElement('small');
  note.textContent = 'Kept for this tab and sent with every request.';
  form.append(message, label, submit, note);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    input.value = '';
    onToken(token);
  });
  return {
    form,
    show(text: string) {
      message.textContent = `HTTP 401: ${text}. Enter the token the server was started with to load the API document.`;
      form.hidden = false;
      input.focus();
    },
    hide() {
      form.hidden = true;
    },
  };
}

/**
 * Mounts Swagger UI (from `swagger-ui-dist`, bundled: nothing is fetched from elsewhere) on
 * `root`, reading `GET /api/openapi.json` of the server that serves the page.
 */
export function mountDocs(root: HTMLElement) {
  const header = document.createElement('header');
  header.className = 'docs-bar';
  const back = document.createElement('a');
  back.href = '/';
  back.textContent = '← Dashboard';
  header.append(back);
  const container = document.createElement('div');
  root.replaceChildren(header, container);

  // Assigned below; the callbacks only run once SwaggerUI has returned.
  let ui: ReturnType<typeof SwaggerUI> & { specActions: { download: (url: string) => void } };
  const tokenForm = createTokenForm((token) => {
    saveToken(token);
    ui.specActions.download(OPENAPI_URL);
  });
  header.append(tokenForm.form);

  ui = SwaggerUI({
    domNode: container,
    url: OPENAPI_URL,
    // Off: the online validator badge would load an image from outside for the document URL.
    validatorUrl: 'none',
    deepLinking: true,
    displayRequestDuration: true,
    // The token lives in sessionStorage (this tab), not in Swagger UI's localStorage.
    persistAuthorization: false,
    plugins: [tokenPlugin],
    requestInterceptor: (request) => addStoredToken(request as ClientRequest),
    responseInterceptor: (response) => {
      const answer = response as ClientResponse;
      if (isDocument(answer.url)) {
        if (answer.status === 401) tokenForm.show(errorMessage(answer));
        else tokenForm.hide();
      }
      return response;
    },
    // After each document load: show a stored token as authorized in Swagger UI's dialog.
    onComplete: () => {
      const token = loadToken();
      if (token) ui.preauthorizeApiKey(BEARER_SCHEME, token);
    },
  }) as typeof ui;
  return ui;
}
