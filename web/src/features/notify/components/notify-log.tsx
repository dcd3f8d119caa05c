import { Link } from 'react-router';
import { Card } from '@/components/ui/card';
import { QueryState } from '@/components/ui/query-state';
import { useNotifyLog } from '@/features/notify/api/get-notify-log';
import { formatTimestamp, humanize } from '@/lib/format';
import { paths } from '@/lib/paths';
import type { NotifyDelivery, NotifyLog } from '@/types/api';

const statusClass: Record<NotifyDelivery['status'], string> = {
  delivered: 'text-emerald-800',
  pending: 'text-amber-800',
  failed: 'text-rose-800',
  muted: 'text-slate-500',
};

function statusText(delivery: NotifyDelivery): string {
  const attempts = delivery.attempts === 1 ? '1 attempt' : `${delivery.attempts} attempts`;
  switch (delivery.status) {
    case 'delivered':
      return `delivered${delivery.attempts > 1 ? ` after ${attempts}` : ''}`;
    case 'pending':
      return delivery.next_attempt_at
        ? `pending, next try ${formatTimestamp(delivery.next_attempt_at)}${delivery.attempts ? ` (${attempts})` : ''}`
        : 'pending';
    case 'failed':
      return `failed after ${attempts}`;
    case 'muted':
      return 'muted by a label';
  }
}

function Deliveries({ log }: { log: NotifyLog }) {
  if (!log.enabled) {
    return (
      <p className="text-sm text-slate-600">
        Notifications are off: add a <code>notify</code> section with channels to the server&apos;s <code>--config</code>{' '}
        file (docs/api.md) to hear about new, worse and resolved incidents.
      </p>
    );
  }
  return (
    <div className="flex flex-col gap-3">
      <p className="text-xs text-slate-600">
        Channels: {log.channels.map((channel) => `${channel.name} (${channel.type})`).join(', ')}
        {log.pending > 0 ? ` · ${log.pending} pending` : ''}
      </p>
      {log.deliveries.length === 0 ? (
        <p className="text-sm text-slate-600">Nothing sent yet: events appear here after the next analysis.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <caption className="sr-only">Notification deliveries, newest first</caption>
            <thead>
              <tr className="text-left text-xs text-slate-500">
                <th scope="col" className="py-1 pr-3 font-medium">
                  When
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  Event
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  Channel
                </th>
                <th scope="col" className="py-1 font-medium">
                  Status
                </th>
              </tr>
            </thead>
            <tbody>
              {log.deliveries.map((delivery) => (
                <tr key={`${delivery.event_id}-${delivery.channel}-${delivery.created_at}`} className="border-t border-slate-100 align-top">
                  <td className="py-1 pr-3 whitespace-nowrap text-slate-600">{formatTimestamp(delivery.created_at)}</td>
                  <td className="py-1 pr-3">
                    {humanize(delivery.event)}
                    {delivery.incident_id ? (
                      <>
                        {' '}
                        <Link to={paths.incident.to(delivery.incident_id)} className="text-indigo-700 hover:underline">
                          {delivery.incident_id}
                        </Link>
                      </>
                    ) : null}
                    {delivery.slice_text ? <span className="block text-xs text-slate-500">{delivery.slice_text}</span> : null}
                  </td>
                  <td className="py-1 pr-3">{delivery.channel}</td>
                  <td className={`py-1 ${statusClass[delivery.status]}`}>
                    {statusText(delivery)}
                    {delivery.status !== 'delivered' && delivery.last_error ? (
                      <span className="block text-xs text-slate-500">{delivery.last_error}</span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** `GET /api/notify/log`: where incident events went, and what is still being retried. */
export function NotifyLogCard() {
  const query = useNotifyLog();
  return (
    <Card title="Notifications" description="Incident events sent to the team's channels">
      <QueryState query={query} what="the notification log" skeletonLines={4}>
        {(log) => <Deliveries log={log} />}
      </QueryState>
    </Card>
  );
}
