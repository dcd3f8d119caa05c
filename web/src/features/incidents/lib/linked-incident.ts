import type { IncidentSummary } from '@/types/api';

/**
 * The incident a notification was sent for, by what identifies it across
 * re-analyses (docs/api.md, notifications): its metric, its slice and the day
 * it started. Incident ids are ranks of one analysis, so a message's link
 * carries these beside the id (`?metric=&slice=&start=`).
 */
export type IncidentIdentity = { metric: string; slice: string; start: string };

/** The largest distance between two starts of one incident: more data can move a change point (docs/api.md, triage). */
export const START_TOLERANCE_DAYS = 3;

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

/** The identity in a link's query, or null when the link has none (or an incomplete or malformed one). */
export function identityFromSearch(search: URLSearchParams): IncidentIdentity | null {
  const metric = search.get('metric') ?? '';
  const slice = search.get('slice') ?? '';
  const start = search.get('start') ?? '';
  if (!metric || !slice || !ISO_DATE.test(start) || Number.isNaN(dayNumber(start))) return null;
  return { metric, slice, start };
}

/** `start` moved by `days` (negative: earlier), as YYYY-MM-DD. */
export function shiftDate(start: string, days: number): string {
  return new Date((dayNumber(start) + days) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The incident of `rows` that is the one identified: the same metric and
 * slice, the start at most START_TOLERANCE_DAYS away, the nearest; null when
 * none is (the data resolved it and it is no longer detected, or it merged
 * into another slice). On a tie the earlier start, as the server matches
 * triage states (storage/incident_status.hpp).
 */
export function matchIncident(rows: readonly IncidentSummary[], identity: IncidentIdentity): IncidentSummary | null {
  const target = dayNumber(identity.start);
  let best: IncidentSummary | null = null;
  let bestDistance = Infinity;
  for (const row of rows) {
    if (row.metric !== identity.metric || row.slice_text !== identity.slice) continue;
    const distance = Math.abs(dayNumber(row.start_date) - target);
    if (distance > START_TOLERANCE_DAYS) continue;
    if (distance < bestDistance || (distance === bestDistance && best !== null && row.start_date < best.start_date)) {
      best = row;
      bestDistance = distance;
    }
  }
  return best;
}
