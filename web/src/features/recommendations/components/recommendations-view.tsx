import { useSearchParams } from 'react-router';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { ErrorState } from '@/components/ui/error-state';
import { QueryState } from '@/components/ui/query-state';
import { useExportExperimentPlan } from '@/features/recommendations/api/export-experiment-plan';
import { useIncidentRecommendations } from '@/features/recommendations/api/get-incident-recommendations';
import { useWhatIf } from '@/features/recommendations/api/run-whatif';
import { ActionCards, ExpectedCxChart } from '@/features/recommendations/components/action-cards';
import { TradeoffChart } from '@/features/recommendations/components/tradeoff-chart';
import { WhatIfPanel } from '@/features/recommendations/components/whatif-panel';
import type { RecommendationList } from '@/types/api';

function Loaded({ id, data }: { id: string; data: RecommendationList }) {
  const [search, setSearch] = useSearchParams();
  const whatIf = useWhatIf(id);
  const plan = useExportExperimentPlan(id);
  const recs = data.recommendations;
  // The action to plan an experiment for is in the URL (`?rec=`), the best-ranked by default.
  const selected = recs.find((r) => r.id === search.get('rec'))?.id ?? recs[0]?.id;
  const select = (rec: string) => {
    plan.reset();
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev);
        next.set('rec', rec);
        return next;
      },
      { replace: true, preventScrollReset: true },
    );
  };

  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <Card
        title="Recommended actions"
        description="Ranked actions with the CX Score change expected inside the incident slice and window, its 90% interval, and the efficiency cost."
        className="lg:col-span-2"
        actions={
          <Button
            onClick={() => selected && plan.mutate(selected)}
            disabled={!selected || plan.isPending}
            aria-describedby="export-plan-hint"
          >
            {plan.isPending ? 'Exporting…' : 'Export experiment plan'}
          </Button>
        }
      >
        <p id="export-plan-hint" className="mb-3 text-xs text-slate-600">
          {selected ? `Downloads the Markdown experiment plan for ${selected}.` : 'No action to plan an experiment for.'}
          <span role="status" className="ml-1 font-medium text-emerald-800">
            {plan.isSuccess ? `Saved ${plan.data.filename}.` : ''}
          </span>
        </p>
        {plan.isError ? (
          <div className="mb-3">
            <ErrorState title="Could not export the experiment plan" error={plan.error} />
          </div>
        ) : null}
        {recs.length === 0 ? (
          <EmptyState title="No recommended action">
            No cause of this incident has an action template; see the root cause analysis for what was found.
          </EmptyState>
        ) : (
          <div className="flex flex-col gap-5">
            <ExpectedCxChart recommendations={recs} />
            <ActionCards recommendations={recs} baseline={data.efficiency_baseline} selected={selected} onSelect={select} />
          </div>
        )}
      </Card>
      <Card title="CX vs efficiency tradeoff" description="CX gain against cost per order across each parameter sweep; the what-if is the orange star.">
        {data.tradeoffs.length === 0 && recs.length === 0 && !whatIf.data ? (
          <EmptyState title="No tradeoff to show">The analysis swept no action parameter for this incident.</EmptyState>
        ) : (
          <TradeoffChart tradeoffs={data.tradeoffs} recommendations={recs} whatIf={whatIf.data} />
        )}
      </Card>
      <Card title="What-if" description="Move an action's parameters and simulate its effect with the engine.">
        <WhatIfPanel
          recommendations={recs}
          tradeoffs={data.tradeoffs}
          baseline={data.efficiency_baseline}
          onRun={(request) => whatIf.mutate(request)}
          state={whatIf}
        />
      </Card>
    </div>
  );
}

/** `GET /api/incidents/{id}/recommendations` laid out: actions, tradeoffs, what-if, experiment plan export. */
export function RecommendationsView({ id }: { id: string }) {
  const query = useIncidentRecommendations(id);
  return (
    <QueryState query={query} what={`the recommendations for ${id}`} skeletonClassName="h-96">
      {(data) => <Loaded id={id} data={data} />}
    </QueryState>
  );
}
