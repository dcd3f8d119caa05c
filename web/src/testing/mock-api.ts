import {
  HEALTH,
  CX_SCORE,
  COHORTS,
  FEEDBACK,
  INCIDENT_DETAIL,
  INCIDENT_LIST,
  NOTIFY_LOG,
  NO_UNCONFIRMED,
  RCA,
  RECOMMENDATIONS,
} from '@/testing/fixtures';
import { jsonResponse, mockFetch } from '@/testing/mock-fetch';

/** Answers one request; `url` has the query string parsed. */
type Route = Response | ((request: { url: URL; init?: RequestInit; body: unknown }) => Response | Promise<Response>);

/**
 * Mocks `fetch` with a table of `"METHOD /path"` -> answer. A request that
 * matches no row throws, so a page calling an unexpected endpoint fails its
 * test. Returns the fetch spy.
 */
export function mockApi(routes: Record<string, Route>) {
  return mockFetch(async (raw, init) => {
    const url = new URL(raw, 'http://localhost');
    const key = `${init?.method ?? 'GET'} ${url.pathname}`;
    const route = routes[key];
    if (route === undefined) throw new Error(`unexpected request ${key}${url.search}`);
    if (route instanceof Response) return route.clone();
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    return route({ url, init, body });
  });
}

/** Every read endpoint answering with the fixtures; override or add rows per test. */
export function fixtureRoutes(overrides: Record<string, Route> = {}): Record<string, Route> {
  return {
    'GET /api/health': jsonResponse(HEALTH),
    'GET /api/metrics/cx-score': jsonResponse(CX_SCORE),
    'GET /api/metrics/cohorts': jsonResponse(COHORTS),
    'GET /api/incidents': ({ url }) => {
      const severity = url.searchParams.get('severity');
      const status = url.searchParams.get('status');
      const rows = INCIDENT_LIST.incidents.filter(
        (i) => (!severity || i.severity === severity) && (!status || i.status === status),
      );
      const limit = Number(url.searchParams.get('limit') ?? 50);
      return jsonResponse({ incidents: rows.slice(0, limit), total: rows.length });
    },
    'GET /api/incidents/INC-0001': jsonResponse(INCIDENT_DETAIL),
    'GET /api/incidents/INC-0001/rca': jsonResponse(RCA),
    'GET /api/incidents/INC-0001/recommendations': jsonResponse(RECOMMENDATIONS),
    'GET /api/feedback': jsonResponse(FEEDBACK),
    'GET /api/notify/log': jsonResponse(NOTIFY_LOG),
    // None by default, so the pages' own tests see only their rows; unconfirmed-incidents.test.tsx fills it.
    'GET /api/unconfirmed': jsonResponse(NO_UNCONFIRMED),
    ...overrides,
  };
}
