import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { QueryState } from '@/components/ui/query-state';
import { useIncidentRca } from '@/features/rca/api/get-incident-rca';
import { ChangeLogItem } from '@/features/rca/components/evidence/change-log-item';
import { DidChart } from '@/features/rca/components/evidence/did-chart';
import { DriverShiftChart } from '@/features/rca/components/evidence/driver-shift-chart';
import { ShapChart } from '@/features/rca/components/evidence/shap-chart';
import { formatNeeds, formatPercent, formatSigned, humanize } from '@/lib/format';
import type { Cause, Evidence, NotTestable, Rca } from '@/types/api';

const anchor = (cause: Cause) => `cause-${cause.cause}`;

function CauseRanking({ rca }: { rca: Rca }) {
  const maxImpact = Math.max(...rca.causes.map((c) => Math.abs(c.impact)), 0.001);
  return (
    <ol className="flex flex-col gap-3" aria-label="Causes, most likely first">
      {rca.causes.map((cause, index) => (
        <li key={cause.cause} className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 rounded-lg border border-slate-200 p-3 sm:grid-cols-[auto_minmax(0,1fr)_minmax(0,1fr)_minmax(0,1fr)]">
          <span className="flex size-6 items-center justify-center rounded-full bg-indigo-600 text-xs font-semibold text-white" aria-hidden="true">
            {index + 1}
          </span>
          <div className="min-w-0">
            <a href={`#${anchor(cause)}`} className="font-medium text-indigo-700 underline-offset-2 hover:underline">
              {cause.label}
            </a>
            <p className="text-xs text-slate-500">
              <code>{cause.cause}</code> · {cause.actionable ? 'actionable' : 'external'}
            </p>
          </div>
          <div className="col-start-2 sm:col-start-auto">
            <p className="text-xs text-slate-500">Confidence</p>
            <div className="flex items-center gap-2">
              <div
                role="meter"
                aria-label={`Confidence in ${cause.label}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(cause.confidence * 100)}
                aria-valuetext={formatPercent(cause.confidence)}
                className="h-2 flex-1 overflow-hidden rounded-full bg-slate-100"
              >
                <div className="h-full rounded-full bg-indigo-600" style={{ width: `${Math.min(100, Math.max(0, cause.confidence * 100))}%` }} />
              </div>
              <span className="w-10 text-right text-sm font-semibold tabular-nums">{formatPercent(cause.confidence)}</span>
            </div>
          </div>
          <div className="col-start-2 sm:col-start-auto">
            <p className="text-xs text-slate-500">Impact on CX Score</p>
            <div className="flex items-center gap-2">
              <div className="h-2 flex-1 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
                <div
                  className={`h-full rounded-full ${cause.impact < 0 ? 'bg-rose-500' : 'bg-emerald-500'}`}
                  style={{ width: `${(Math.abs(cause.impact) / maxImpact) * 100}%` }}
                />
              </div>
              <span className="w-12 text-right text-sm font-semibold tabular-nums">{formatSigned(cause.impact)}</span>
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}

function EvidenceView({ evidence, treatmentStart }: { evidence: Evidence; treatmentStart?: string }) {
  switch (evidence.kind) {
    case 'driver_shift':
      return <DriverShiftChart evidence={evidence} />;
    case 'shap':
      return <ShapChart evidence={evidence} />;
    case 'did':
      return <DidChart evidence={evidence} treatmentStart={treatmentStart} />;
    case 'change_log':
      return <ChangeLogItem evidence={evidence} />;
    default:
      // A kind this dashboard does not know yet: say so instead of hiding it.
      return (
        <p className="text-xs text-slate-500">
          Evidence of kind <code>{(evidence as { kind: string }).kind}</code> is not shown by this version of the dashboard.
        </p>
      );
  }
}

/** The causes the data cannot test: never ranked, listed with the columns they need. */
function NotTestableList({ causes }: { causes: NotTestable[] }) {
  return (
    <ul className="flex flex-col gap-2" aria-label="Causes not testable with this data">
      {causes.map((cause) => (
        <li key={cause.cause} className="text-sm">
          <span className="font-medium text-slate-800">{cause.label}</span>{' '}
          <code className="text-xs text-slate-500">{cause.cause}</code>
          <p className="text-xs text-slate-600">{formatNeeds(cause.needs)}</p>
        </li>
      ))}
    </ul>
  );
}

function CauseEvidence({ cause, rank, incidentStart }: { cause: Cause; rank: number; incidentStart?: string }) {
  // The pre-period ends where the incident starts; without the incident, where the driver shifted.
  const shift = cause.evidence.find((e) => e.kind === 'driver_shift');
  const treatmentStart = incidentStart ?? (shift?.kind === 'driver_shift' ? (shift.change_date ?? undefined) : undefined);
  return (
    <div id={anchor(cause)} className="scroll-mt-24 lg:col-span-3">
      <Card
        title={`${rank}. ${cause.label}`}
        description={`Confidence ${formatPercent(cause.confidence)}, impact ${formatSigned(cause.impact)} CX points.`}
      >
        {cause.missing_evidence?.length ? (
          <ul className="mb-4 flex flex-col gap-0.5 text-xs text-slate-600" aria-label={`Evidence of ${cause.label} the data cannot give`}>
            {cause.missing_evidence.map((missing) => (
              <li key={missing.metric}>
                {humanize(missing.metric)}: {formatNeeds(missing.needs)}
              </li>
            ))}
          </ul>
        ) : null}
        {cause.evidence.length === 0 ? (
          <EmptyState title="No evidence recorded for this cause" />
        ) : (
          <div className="grid gap-6 lg:grid-cols-2">
            {cause.evidence.map((evidence, i) => (
              <EvidenceView key={`${evidence.kind}-${i}`} evidence={evidence} treatmentStart={treatmentStart} />
            ))}
          </div>
        )}
      </Card>
    </div>
  );
}

type RcaViewProps = {
  id: string;
  /** The incident's first day (from its detail) to mark the pre-period of the DiD charts; optional. */
  incidentStart?: string;
};

/** `GET /api/incidents/{id}/rca` laid out: ranking, narrative, then each cause's evidence. */
export function RcaView({ id, incidentStart }: RcaViewProps) {
  const query = useIncidentRca(id);
  return (
    <QueryState query={query} what={`the root cause analysis of ${id}`} skeletonClassName="h-96">
      {(rca) => (
        <div className="grid gap-6 lg:grid-cols-3">
          <Card title="Ranked root causes" description="By confidence × |impact|." className="lg:col-span-2">
            {rca.causes.length === 0 ? (
              <EmptyState title="No cause found">None of the hypotheses explains this regression with enough confidence.</EmptyState>
            ) : (
              <CauseRanking rca={rca} />
            )}
          </Card>
          <Card title="Narrative" description="The analysis in plain words.">
            {rca.narrative ? (
              <p className="text-sm leading-relaxed whitespace-pre-line text-slate-800">{rca.narrative}</p>
            ) : (
              <EmptyState title="No narrative" />
            )}
          </Card>
          {rca.not_testable.length ? (
            <Card
              title="Not testable with this data"
              description="These causes need columns the data lacks, so they were not tested or ranked."
              className="lg:col-span-3"
            >
              <NotTestableList causes={rca.not_testable} />
            </Card>
          ) : null}
          {rca.causes.map((cause, index) => (
            <CauseEvidence key={cause.cause} cause={cause} rank={index + 1} incidentStart={incidentStart} />
          ))}
        </div>
      )}
    </QueryState>
  );
}
