import { useSearchParams } from 'react-router';
import { PageHeader } from '@/components/layout/page-header';
import { StatCard } from '@/components/ui/stat-card';
import { useHealth } from '@/features/health/api/get-health';
import { FeedbackSummaryCard } from '@/features/feedback/components/feedback-summary';
import { DataSupportNotice } from '@/features/health/components/data-support-notice';
import { IncidentsTable } from '@/features/incidents/components/incidents-table';
import { OpenIncidentsStat } from '@/features/incidents/components/open-incidents-stat';
import { UnconfirmedIncidents } from '@/features/incidents/components/unconfirmed-incidents';
import { CxNowStat } from '@/features/metrics/components/cx-now-stat';
import { CxTrendPanel } from '@/features/metrics/components/cx-trend-panel';
import { NotifyLogCard } from '@/features/notify/components/notify-log';
import { formatDateRange, formatInteger, formatTimestamp } from '@/lib/format';

function OrdersStat() {
  const health = useHealth();
  const label = 'Orders analysed';
  if (health.isPending) return <StatCard label={label} loading hint="Loading…" />;
  if (health.isError) return <StatCard label={label} hint={`Unavailable: ${health.error.message}`} tone="error" />;
  const data = health.data.data;
  if (!data) return <StatCard label={label} hint="No data loaded" />;
  const range = formatDateRange(data.start_date, data.end_date) ?? 'The orders table is empty';
  const analysed = health.data.analyzed_at ? ` · analysed ${formatTimestamp(health.data.analyzed_at)}` : '';
  return <StatCard label={label} value={formatInteger(data.orders)} hint={`${range}${analysed}`} />;
}

/** `/`: is CX regressing right now, and where to look. The cohort and the list's filters live in the URL. */
export function DashboardRoute() {
  const [search, setSearch] = useSearchParams();
  const cohort = search.get('cohort') ?? '';
  const setCohort = (value: string) =>
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set('cohort', value);
        else next.delete('cohort');
        return next;
      },
      { replace: true, preventScrollReset: true },
    );

  return (
    <div className="flex flex-col gap-8">
      <title>Dashboard · cxagent</title>
      <PageHeader
        eyebrow="Overview"
        title="Dashboard"
        description="Whether customer experience regressed, where, why and what to do about it."
      />
      <DataSupportNotice />
      <section aria-labelledby="quick-stats">
        <h2 id="quick-stats" className="sr-only">
          Quick stats
        </h2>
        <dl className="grid gap-4 md:grid-cols-3">
          <CxNowStat cohort={cohort} />
          <OpenIncidentsStat />
          <OrdersStat />
        </dl>
      </section>
      <CxTrendPanel cohort={cohort} onCohortChange={setCohort} />
      <div className="flex flex-col gap-3">
        <IncidentsTable />
        <UnconfirmedIncidents />
      </div>
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,2fr)]">
        <FeedbackSummaryCard />
        <NotifyLogCard />
      </div>
    </div>
  );
}
