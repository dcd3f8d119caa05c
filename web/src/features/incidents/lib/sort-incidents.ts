import type { IncidentSummary } from '@/types/api';

export const SORT_KEYS = ['id', 'severity', 'metric', 'slice', 'start_date', 'delta', 'status'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

const severityRank: Record<string, number> = { high: 3, medium: 2, low: 1 };
const statusRank: Record<string, number> = { open: 3, acknowledged: 2, resolved: 1 };

export function isSortKey(value: string | null): value is SortKey {
  return value !== null && (SORT_KEYS as readonly string[]).includes(value);
}

function compare(a: IncidentSummary, b: IncidentSummary, key: SortKey): number {
  switch (key) {
    case 'severity':
      return (severityRank[a.severity] ?? 0) - (severityRank[b.severity] ?? 0);
    case 'status':
      return (statusRank[a.status] ?? 0) - (statusRank[b.status] ?? 0);
    case 'delta':
      return a.delta - b.delta;
    case 'slice':
      return a.slice_text.localeCompare(b.slice_text);
    default:
      return String(a[key]).localeCompare(String(b[key]));
  }
}

/**
 * Sorts a copy; ties keep the server's order (most severe, then newest), so
 * sorting by status still lists the worst first within each status.
 */
export function sortIncidents(rows: IncidentSummary[], key: SortKey, dir: SortDir): IncidentSummary[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => sign * compare(a.row, b.row, key) || a.index - b.index)
    .map(({ row }) => row);
}

/** The direction a first click on a column sorts in: worst or newest first where that makes sense. */
export function defaultDir(key: SortKey): SortDir {
  return key === 'severity' || key === 'start_date' || key === 'status' ? 'desc' : 'asc';
}
