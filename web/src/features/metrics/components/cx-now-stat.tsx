import { StatCard } from '@/components/ui/stat-card';
import { useCxScore } from '@/features/metrics/api/get-cx-score';
import { summarizeCx } from '@/features/metrics/lib/cx-summary';
import { formatNumber, formatSigned } from '@/lib/format';

/** Quick stat: the cohort's CX Score over the last week vs the weeks before. */
export function CxNowStat({ cohort }: { cohort: string }) {
  const query = useCxScore(cohort ? { cohort } : {});
  const label = `CX Score now vs baseline${cohort ? ` (${cohort})` : ''}`;
  if (query.isPending) return <StatCard label={label} loading hint="Loading…" />;
  if (query.isError) return <StatCard label={label} hint={`Unavailable: ${query.error.message}`} tone="error" />;
  const summary = summarizeCx(query.data.series);
  if (!summary) return <StatCard label={label} hint="Too few days with orders to compare" />;
  const tone = summary.delta < -0.05 ? 'bad' : summary.delta > 0.05 ? 'good' : undefined;
  return (
    <StatCard
      label={label}
      value={
        <>
          {formatNumber(summary.now)}
          <span className="ml-2 text-base font-medium text-slate-500">vs {formatNumber(summary.baseline)}</span>
        </>
      }
      change={{ text: formatSigned(summary.delta), tone }}
      hint={`Last ${summary.nowDays} days vs the ${summary.baselineDays} before (${summary.baselineRange[0]} – ${summary.nowRange[1]})`}
    />
  );
}
