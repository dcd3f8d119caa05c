import { Card } from '@/components/ui/card';
import { QueryState } from '@/components/ui/query-state';
import { useFeedback } from '@/features/feedback/api/get-feedback';
import { formatInteger, formatPercent } from '@/lib/format';
import type { FeedbackSummary } from '@/types/api';

const ROWS: { key: keyof FeedbackSummary['counts']; label: string }[] = [
  { key: 'confirmed', label: 'Confirmed' },
  { key: 'false_alarm', label: 'False alarm' },
  { key: 'expected', label: 'Expected' },
  { key: 'duplicate', label: 'Duplicate' },
];

function Counts({ summary }: { summary: FeedbackSummary }) {
  if (summary.labelled === 0) {
    return (
      <p className="text-sm text-slate-600">
        No incident is labelled yet. Label incidents on their page to see how precise the alerts are.{' '}
        {summary.unlabelled > 0 ? `${formatInteger(summary.unlabelled)} served incidents are unlabelled.` : null}
      </p>
    );
  }
  return (
    <div className="flex flex-col gap-4">
      <dl className="grid grid-cols-2 gap-4">
        <div>
          <dt className="text-xs font-medium text-slate-500">Precision</dt>
          <dd className="text-2xl font-semibold text-slate-900">{formatPercent(summary.precision)}</dd>
          <dd className="text-xs text-slate-500">confirmed of {formatInteger(summary.labelled)} labelled</dd>
        </div>
        <div>
          <dt className="text-xs font-medium text-slate-500">Real changes</dt>
          <dd className="text-2xl font-semibold text-slate-900">{formatPercent(summary.detection_precision)}</dd>
          <dd className="text-xs text-slate-500">all but false alarms</dd>
        </div>
      </dl>
      <table className="w-full text-sm">
        <caption className="sr-only">Feedback labels</caption>
        <thead>
          <tr className="text-left text-xs text-slate-500">
            <th scope="col" className="py-1 font-medium">
              Label
            </th>
            <th scope="col" className="py-1 text-right font-medium">
              Incidents
            </th>
          </tr>
        </thead>
        <tbody>
          {ROWS.map((row) => (
            <tr key={row.key} className="border-t border-slate-100">
              <th scope="row" className="py-1 text-left font-normal text-slate-700">
                {row.label}
              </th>
              <td className="py-1 text-right tabular-nums">{formatInteger(summary.counts[row.key])}</td>
            </tr>
          ))}
          <tr className="border-t border-slate-100 text-slate-500">
            <th scope="row" className="py-1 text-left font-normal">
              Not labelled (served)
            </th>
            <td className="py-1 text-right tabular-nums">{formatInteger(summary.unlabelled)}</td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}

/** `GET /api/feedback`: the labels' counts and the precision the team sees. */
export function FeedbackSummaryCard() {
  const query = useFeedback();
  return (
    <Card title="Team feedback" description="What the team said the incidents were">
      <QueryState query={query} what="the feedback" skeletonLines={4}>
        {(summary) => <Counts summary={summary} />}
      </QueryState>
    </Card>
  );
}
