import { PageHeader } from '@/components/layout/page-header';
import { StatCard } from '@/components/ui/stat-card';
import { useHealth } from '@/features/health/api/get-health';
import { ActiveIncidentsPanel } from '@/features/incidents/components/active-incidents-panel';
import { CxTrendPanel } from '@/features/metrics/components/cx-trend-panel';
import { formatDateRange, formatInteger } from '@/lib/format';

const PENDING = 'Arrives with the engine';

/** `/`: is CX regressing right now, and where to look. */
export function DashboardRoute() {
  const health = useHealth();
  const data = health.data?.data;

  let ordersHint: string;
  if (health.isPending) ordersHint = 'Loading…';
  else if (health.isError) ordersHint = 'API unreachable';
  else if (!data) ordersHint = 'No data loaded';
  else ordersHint = formatDateRange(data.start_date, data.end_date) ?? 'The orders table is empty';

  return (
    <div className="flex flex-col gap-8">
      <title>Dashboard · cxagent</title>
      <PageHeader
        eyebrow="Overview"
        title="Dashboard"
        description="Whether customer experience regressed, where, why and what to do about it."
      />
      <section aria-labelledby="quick-stats">
        <h2 id="quick-stats" className="sr-only">
          Quick stats
        </h2>
        <dl className="grid gap-4 sm:grid-cols-3">
          <StatCard label="CX Score now vs baseline" hint={PENDING} />
          <StatCard label="Open incidents" hint={PENDING} />
          <StatCard
            label="Orders analysed"
            value={data ? formatInteger(data.orders) : undefined}
            hint={ordersHint}
          />
        </dl>
      </section>
      <CxTrendPanel />
      <ActiveIncidentsPanel />
    </div>
  );
}
