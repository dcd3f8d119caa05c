import type { CxScorePoint } from '@/types/api';

export type CxSummary = {
  /** Order-weighted mean CX Score of the last `nowDays` days. */
  now: number;
  /** Order-weighted mean of the `baselineDays` days before them. */
  baseline: number;
  delta: number;
  nowDays: number;
  baselineDays: number;
  /** First and last date of each window. */
  nowRange: [string, string];
  baselineRange: [string, string];
};

/** Null when no day of the window has a score (no orders in the cohort). */
function weightedMean(points: CxScorePoint[]): number | null {
  const scored = points.filter((p): p is CxScorePoint & { cx_score: number } => p.cx_score !== null);
  if (scored.length === 0) return null;
  const orders = scored.reduce((sum, p) => sum + p.orders, 0);
  if (orders > 0) return scored.reduce((sum, p) => sum + p.cx_score * p.orders, 0) / orders;
  return scored.reduce((sum, p) => sum + p.cx_score, 0) / scored.length;
}

/**
 * "CX now vs baseline": the last week against the four weeks before it,
 * weighted by orders so a quiet day does not swing it. Short series use
 * half for each side; null below two days, or when either window has no
 * scored day (days without orders have no score and are skipped).
 */
export function summarizeCx(series: CxScorePoint[], nowDays = 7, baselineDays = 28): CxSummary | null {
  if (series.length < 2) return null;
  const recent = Math.min(nowDays, Math.floor(series.length / 2));
  const nowPoints = series.slice(-recent);
  const before = series.slice(0, -recent);
  const basePoints = before.slice(-Math.min(baselineDays, before.length));
  const now = weightedMean(nowPoints);
  const baseline = weightedMean(basePoints);
  if (now === null || baseline === null) return null;
  return {
    now,
    baseline,
    delta: now - baseline,
    nowDays: nowPoints.length,
    baselineDays: basePoints.length,
    nowRange: [nowPoints[0]!.date, nowPoints.at(-1)!.date],
    baselineRange: [basePoints[0]!.date, basePoints.at(-1)!.date],
  };
}
