import type { ChangeLogEvidence } from '@/types/api';

/** A logged change (config, rollout, pricing) near the incident, and whether it fits the regression. */
export function ChangeLogItem({ evidence }: { evidence: ChangeLogEvidence }) {
  return (
    <div className="flex flex-col gap-1 rounded-lg border border-slate-200 bg-slate-50 p-3 text-sm">
      <h4 className="font-medium text-slate-900">
        Change log: <code className="text-xs">{evidence.change_id}</code>{' '}
        <span className="text-xs font-normal text-slate-600">
          {evidence.change_kind} · {evidence.scope} · {evidence.changed_at}
        </span>
      </h4>
      <p className="text-slate-700">{evidence.description}</p>
      <p className={`text-xs ${evidence.consistent ? 'text-emerald-800' : 'text-amber-800'}`}>
        <span className="font-semibold">{evidence.consistent ? 'Consistent with the regression' : 'Not consistent'}</span>
        {evidence.reason ? `: ${evidence.reason}` : ''}
      </p>
    </div>
  );
}
