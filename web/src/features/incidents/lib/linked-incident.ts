/**
 * The incident a notification was sent for, by what identifies it across
 * re-analyses (docs/api.md, notifications): its metric, its slice and the day
 * it started. Incident ids are ranks of one analysis, so a message's link
 * carries these beside the id (`?metric=&slice=&start=`). Which incident of
 * the current analysis they name is the server's to say
 * (`GET /api/incidents/resolve`); this only reads them from the link.
 */
export type IncidentIdentity = { metric: string; slice: string; start: string };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The identity in a link's query, or null when the link has none, or an
 * incomplete or malformed one: such a link is taken as a plain link to its
 * id. What else the server refuses (a metric it does not know, a malformed
 * slice) comes back as its 400, shown on the page.
 */
export function identityFromSearch(search: URLSearchParams): IncidentIdentity | null {
  const metric = search.get('metric') ?? '';
  const slice = search.get('slice') ?? '';
  const start = search.get('start') ?? '';
  if (!metric || !slice || !ISO_DATE.test(start) || Number.isNaN(Date.parse(`${start}T00:00:00Z`))) return null;
  return { metric, slice, start };
}
