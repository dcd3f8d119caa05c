import { describe, expect, it } from 'vitest';
import { summarizeCx } from '@/features/metrics/lib/cx-summary';
import { dates } from '@/testing/fixtures';

const series = (scores: number[], orders = 100) =>
  dates('2026-07-01', scores.length).map((date, i) => ({ date, cx_score: scores[i]!, orders }));

describe('summarizeCx', () => {
  it('compares the last 7 days with the 28 before them', () => {
    const summary = summarizeCx(series([...Array(40).fill(86), ...Array(7).fill(80)]))!;
    expect(summary.now).toBeCloseTo(80);
    expect(summary.baseline).toBeCloseTo(86);
    expect(summary.delta).toBeCloseTo(-6);
    expect(summary.nowDays).toBe(7);
    expect(summary.baselineDays).toBe(28);
    expect(summary.nowRange).toEqual(['2026-08-10', '2026-08-16']);
    expect(summary.baselineRange).toEqual(['2026-07-13', '2026-08-09']);
  });

  it('weights days by their orders', () => {
    const points = series([80, 90, 70, 70]);
    points[0]!.orders = 300; // baseline: (80*300 + 90*100) / 400
    expect(summarizeCx(points)!.baseline).toBeCloseTo(82.5);
  });

  it('splits a short series in half and gives up below two days', () => {
    expect(summarizeCx(series([86, 86, 80, 80]))).toMatchObject({ nowDays: 2, baselineDays: 2, delta: -6 });
    expect(summarizeCx(series([86]))).toBeNull();
  });

  it('leaves days without a score out of either window', () => {
    const points = series([80, 90, 70, 70]).map((p) => ({ ...p, cx_score: p.cx_score as number | null }));
    points[1] = { ...points[1]!, cx_score: null, orders: 0 };
    expect(summarizeCx(points)).toMatchObject({ baseline: 80, now: 70, delta: -10, baselineDays: 2, nowDays: 2 });
  });

  it('gives up when a window has no scored day', () => {
    const points = series([80, 90, 70, 70]).map((p, i) => ({ ...p, cx_score: i >= 2 ? null : p.cx_score }));
    expect(summarizeCx(points)).toBeNull();
  });
});
