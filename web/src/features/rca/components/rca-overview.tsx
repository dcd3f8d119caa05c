import { Card } from '@/components/ui/card';
import { PendingContent } from '@/components/ui/pending-content';

/** Where the ranked causes, their evidence and the narrative will be shown. */
export function RcaOverview() {
  return (
    <div className="grid gap-6 lg:grid-cols-3">
      <Card title="Ranked root causes" description="By confidence × impact." className="lg:col-span-2">
        <PendingContent>
          Each candidate cause with its confidence and its estimated impact on the CX Score.
        </PendingContent>
      </Card>
      <Card title="Narrative" description="The analysis in plain words.">
        <PendingContent>A short account of what happened and why.</PendingContent>
      </Card>
      <Card title="Driver before / after">
        <PendingContent>The suspected driver before and during the incident.</PendingContent>
      </Card>
      <Card title="SHAP attribution">
        <PendingContent>How much each driver contributes to the CX drop.</PendingContent>
      </Card>
      <Card title="Difference-in-differences">
        <PendingContent>Treated vs control cohorts around the change.</PendingContent>
      </Card>
    </div>
  );
}
