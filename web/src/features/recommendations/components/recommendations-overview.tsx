import { Card } from '@/components/ui/card';
import { PendingContent } from '@/components/ui/pending-content';

/** Where the actions, their tradeoffs, the what-if controls and the experiment plan will be. */
export function RecommendationsOverview() {
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <Card
        title="Recommended actions"
        description="Ranked actions with the CX change expected and its 90% interval."
        className="lg:col-span-2"
        actions={
          <button
            type="button"
            disabled
            aria-describedby="export-plan-hint"
            className="rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-400"
          >
            Export experiment plan
          </button>
        }
      >
        <p id="export-plan-hint" className="sr-only">
          Available once the engine has produced recommendations.
        </p>
        <PendingContent>
          Revert, improve and mitigate actions with their expected CX Score change and interval.
        </PendingContent>
      </Card>
      <Card title="CX vs efficiency tradeoff" description="What each action costs for what it gains.">
        <PendingContent>A chart placing every action by CX gain and efficiency cost.</PendingContent>
      </Card>
      <Card title="What-if" description="Adjust an action's parameters and simulate its effect.">
        <PendingContent>Controls for each action's parameters, with the simulated effect.</PendingContent>
      </Card>
    </div>
  );
}
