import { Card } from '@/components/ui/card';
import { PendingContent } from '@/components/ui/pending-content';

/** The dashboard's headline chart: daily CX Score with incident markers. */
export function CxTrendPanel() {
  return (
    <Card title="CX Score trend" description="Daily CX Score across all orders, with detected incidents marked.">
      <PendingContent>
        The daily CX Score series and incident markers appear here once the engine serves
        /api/metrics/cx-score.
      </PendingContent>
    </Card>
  );
}
