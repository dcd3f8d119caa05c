import { useHealth } from '@/features/health/api/get-health';
import { formatNeeds, humanize } from '@/lib/format';
import type { DataSupport, Unavailable } from '@/types/api';

const KINDS: { kind: Unavailable['kind']; title: string }[] = [
  { kind: 'cx_component', title: 'CX Score components left out' },
  { kind: 'metric', title: 'Metrics not computed' },
  { kind: 'cause', title: 'Causes not testable' },
  { kind: 'action', title: 'Actions not recommended' },
];

/** What the served data cannot support, grouped by kind; nothing when it supports everything. */
export function DataSupportList({ data }: { data: DataSupport }) {
  if (data.unavailable.length === 0) return null;
  const components = data.cx_score?.components ?? [];
  return (
    <section
      aria-labelledby="data-support"
      data-testid="data-support"
      className="rounded-xl border border-amber-200 bg-amber-50 px-5 py-4 text-sm text-amber-950"
    >
      <h2 id="data-support" className="font-semibold">
        Your data cannot support everything
      </h2>
      <p className="mt-1 text-amber-900">
        What needs columns the data lacks is not computed, and causes without their evidence are not ranked.
        {components.length ? ` The CX Score here is made of: ${components.map(humanize).join(', ')}.` : ''}
      </p>
      <div className="mt-3 grid gap-3 md:grid-cols-2">
        {KINDS.map(({ kind, title }) => {
          const entries = data.unavailable.filter((entry) => entry.kind === kind);
          if (entries.length === 0) return null;
          return (
            <div key={kind}>
              <h3 className="text-xs font-semibold tracking-wide uppercase">{title}</h3>
              <ul className="mt-1 flex flex-col gap-0.5">
                {entries.map((entry) => (
                  <li key={entry.name}>
                    <code>{entry.name}</code>: {formatNeeds(entry.needs)}
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
      </div>
    </section>
  );
}

/** The overview's notice of what the served data cannot support (from `GET /api/health`). */
export function DataSupportNotice() {
  const health = useHealth();
  if (!health.isSuccess) return null;
  return <DataSupportList data={health.data.data} />;
}
