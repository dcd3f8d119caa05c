import { Link } from 'react-router';
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceArea,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ChartFrame } from '@/components/charts/chart-frame';
import { axisTick, chartColors, shortDate } from '@/components/charts/theme';
import { SeverityBadge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { QueryState } from '@/components/ui/query-state';
import { useCxScore } from '@/features/metrics/api/get-cx-score';
import { CohortSelect } from '@/features/metrics/components/cohort-select';
import { formatInteger, formatNumber } from '@/lib/format';
import { niceAxis, stepDigits } from '@/lib/ticks';
import { paths } from '@/lib/paths';
import type { CxScoreSeries } from '@/types/api';

type CxTrendPanelProps = {
  /** Slice text of the cohort; empty for all orders. */
  cohort: string;
  onCohortChange: (cohort: string) => void;
};

function TrendChart({ data }: { data: CxScoreSeries }) {
  const first = data.series[0]?.date ?? '';
  const last = data.series.at(-1)?.date ?? '';
  // Incident windows clipped to the plotted range (a category axis only knows the dates it has).
  const windows = data.incidents
    .map((incident) => ({
      incident,
      x1: incident.start_date < first ? first : incident.start_date,
      x2: !incident.end_date || incident.end_date > last ? last : incident.end_date,
    }))
    .filter((w) => w.x1 <= last && w.x2 >= first && w.x1 <= w.x2);
  // A day without orders in the cohort has no score: the line breaks there and the axis ignores it.
  const scores = data.series.map((p) => p.cx_score).filter((v): v is number => v !== null);
  // Round, evenly spaced ticks around the scores (a 0-100 axis would flatten a 5-point drop into a line).
  const axis = niceAxis(scores, 6);
  const digits = axis ? stepDigits(axis.step) : 0;

  return (
    <ChartFrame
      label={`Daily CX Score, ${data.cohort_text}`}
      height={280}
      rows={data.series}
      rowKey={(p) => p.date}
      columns={[
        { header: 'Date', cell: (p) => p.date },
        { header: 'CX Score', cell: (p) => formatNumber(p.cx_score), numeric: true },
        { header: 'Orders', cell: (p) => formatInteger(p.orders), numeric: true },
      ]}
      chart={
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data.series} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke={chartColors.grid} vertical={false} />
            {windows.map(({ incident, x1, x2 }) => (
              <ReferenceArea
                key={incident.id}
                x1={x1}
                x2={x2}
                fill={chartColors.incident[incident.severity] ?? chartColors.incident.low}
                fillOpacity={0.6}
                ifOverflow="hidden"
                label={{ value: incident.id, position: 'insideTopLeft', fontSize: 11, fill: chartColors.axis }}
              />
            ))}
            <XAxis dataKey="date" tick={axisTick} tickFormatter={shortDate} minTickGap={24} />
            <YAxis
              domain={axis?.domain ?? ['auto', 'auto']}
              ticks={axis?.ticks}
              interval={0}
              tick={axisTick}
              width={40}
              tickFormatter={(v: number) => formatNumber(v, digits)}
            />
            <Tooltip formatter={(value) => [value === null || value === undefined ? '—' : formatNumber(Number(value)), 'CX Score']} />
            <Line type="linear" dataKey="cx_score" stroke={chartColors.primary} strokeWidth={2} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      }
      caption={
        windows.length ? (
          <span className="flex flex-wrap items-center gap-x-3 gap-y-1">
            Shaded: windows of the incidents whose slice overlaps this cohort.
            {windows.map(({ incident }) => (
              <Link key={incident.id} to={paths.incident.to(incident.id)} className="inline-flex items-center gap-1 text-indigo-700 underline-offset-2 hover:underline">
                {incident.id} <SeverityBadge severity={incident.severity} /> from {incident.start_date}
                {incident.end_date ? ` to ${incident.end_date}` : ', ongoing'}
              </Link>
            ))}
          </span>
        ) : (
          'No incident touches this cohort in the plotted range.'
        )
      }
    />
  );
}

/** The dashboard's headline chart: daily CX Score of a cohort, with the incident windows shaded. */
export function CxTrendPanel({ cohort, onCohortChange }: CxTrendPanelProps) {
  const query = useCxScore(cohort ? { cohort } : {});
  return (
    <Card
      title="CX Score trend"
      description="Daily CX Score with detected incident windows shaded."
      actions={<CohortSelect value={cohort} onChange={onCohortChange} />}
    >
      <QueryState query={query} what="the CX Score trend" skeletonClassName="h-72">
        {(data) =>
          data.series.some((p) => p.cx_score !== null) ? (
            <TrendChart data={data} />
          ) : (
            <EmptyState title={`No CX Score for ${data.cohort_text || 'this cohort'}`}>
              The data set has no orders in this cohort.
            </EmptyState>
          )
        }
      </QueryState>
    </Card>
  );
}
