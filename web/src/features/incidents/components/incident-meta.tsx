import type { ReactNode } from 'react';
import { SeverityBadge, StatusBadge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { SliceText } from '@/components/ui/slice-text';
import { FeedbackControl, LABELS } from '@/features/incidents/components/feedback-control';
import { StatusControl } from '@/features/incidents/components/status-control';
import { formatMetric, formatMetricDelta, formatNumber, formatTimestamp, humanize } from '@/lib/format';
import type { IncidentDetail } from '@/types/api';

function Item({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-0.5">
      <dt className="text-xs font-medium text-slate-500">{term}</dt>
      <dd className="text-sm text-slate-900">{children}</dd>
    </div>
  );
}

/** What regressed, where, since when and how badly, with the status control. */
export function IncidentMeta({ incident }: { incident: IncidentDetail }) {
  const { window } = incident;
  return (
    <Card title="Incident metadata" description={`${humanize(incident.metric)} in ${incident.slice_text}`} className="lg:col-span-2">
      <div className="grid gap-6 lg:grid-cols-[1fr_minmax(0,24rem)]">
        <dl className="grid grid-cols-2 gap-x-6 gap-y-4 sm:grid-cols-3">
          <Item term="Metric">{humanize(incident.metric)}</Item>
          <Item term="Severity">
            <SeverityBadge severity={incident.severity} /> <span className="text-xs text-slate-500">score {formatNumber(incident.score, 2)}</span>
          </Item>
          <Item term="Status">
            <StatusBadge status={incident.status} />
            {incident.updated_at ? <span className="ml-1 text-xs text-slate-500">since {formatTimestamp(incident.updated_at)}</span> : null}
          </Item>
          <Item term="Slice">
            <code className="text-xs">
              <SliceText text={incident.slice_text} />
            </code>
          </Item>
          <Item term="Incident window">
            {window.start} – {incident.end_date ? window.end : `${window.end} (ongoing)`}
          </Item>
          <Item term="Baseline window">
            {window.baseline_start} – {window.baseline_end}
          </Item>
          <Item term="Baseline">{formatMetric(incident.metric, incident.baseline)}</Item>
          <Item term="Current">{formatMetric(incident.metric, incident.current)}</Item>
          <Item term="Change">
            <span className={`font-semibold ${incident.delta < 0 ? 'text-rose-700' : 'text-emerald-700'}`}>
              {formatMetricDelta(incident.metric, incident.delta)}
            </span>
          </Item>
          <Item term="Feedback">
            {incident.feedback ? (
              <>
                {LABELS.find((option) => option.value === incident.feedback?.label)?.label ?? incident.feedback.label}
                <span className="ml-1 text-xs text-slate-500">by {incident.feedback.by}</span>
              </>
            ) : (
              <span className="text-slate-500">Not labelled</span>
            )}
            {incident.muted ? <span className="ml-1 text-xs font-medium text-amber-800">· notifications muted</span> : null}
          </Item>
          {incident.note ? (
            <div className="col-span-full">
              <Item term="Note">
                <span className="whitespace-pre-wrap">{incident.note}</span>
              </Item>
            </div>
          ) : null}
        </dl>
        <div className="flex flex-col gap-4">
          <div className="rounded-lg border border-slate-200 bg-slate-50 p-4">
            <StatusControl incident={incident} />
          </div>
          <div className="rounded-lg border border-slate-200 bg-slate-50 p-4">
            <FeedbackControl key={`${incident.id}-${incident.feedback?.updated_at ?? 'none'}`} incident={incident} />
          </div>
        </div>
      </div>
    </Card>
  );
}
