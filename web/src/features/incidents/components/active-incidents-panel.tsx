import { Card } from '@/components/ui/card';
import { PendingContent } from '@/components/ui/pending-content';

/** The dashboard's list of open regressions, most severe first. */
export function ActiveIncidentsPanel() {
  return (
    <Card title="Active incidents" description="Open CX regressions, most severe first, then newest.">
      <PendingContent>
        Detected incidents are listed here, each linking to its detail, root cause and
        recommendations, once the engine serves /api/incidents.
      </PendingContent>
    </Card>
  );
}
