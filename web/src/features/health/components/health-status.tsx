import { useHealth } from '@/features/health/api/get-health';
import { formatDateRange, formatInteger, formatTimestamp } from '@/lib/format';
import type { Health } from '@/types/api';

/**
 * "API ok · v0.1.0 · 1,234 orders · 2026-06-01 – 2026-08-29 · analysed
 * 2026-11-24 22:36 UTC", plus the background re-analysis when one runs or
 * the last one failed.
 */
export function describeHealth(health: Health): string {
  const parts = [`API ${health.status}`, `v${health.version}`];
  if (health.data.orders > 0) {
    parts.push(`${formatInteger(health.data.orders)} orders`);
    const range = formatDateRange(health.data.start_date, health.data.end_date);
    if (range) parts.push(range);
  } else {
    parts.push('no orders loaded');
  }
  if (health.analyzed_at) parts.push(`analysed ${formatTimestamp(health.analyzed_at)}`);
  const schedule = describeSchedule(health.schedule);
  if (schedule) parts.push(schedule);
  if (health.analysis.state === 'running') parts.push('re-analysing…');
  else if (health.analysis.last_error) parts.push(`last re-analysis failed: ${health.analysis.last_error.error.message}`);
  return parts.join(' · ');
}

/**
 * "daily 06:00 (next 2026-12-04 06:00 UTC), watching the data; last run 2026-12-03 06:00 UTC
 * (schedule)": when the server re-analyses on its own (`serve --schedule` / `--watch`), or null.
 */
export function describeSchedule(schedule: Health['schedule'] | null): string | null {
  if (!schedule || (!schedule.daily_at && !schedule.watch)) return null;
  const how: string[] = [];
  if (schedule.daily_at) {
    const next = schedule.next_run ? ` (next ${formatTimestamp(schedule.next_run)})` : '';
    how.push(`daily ${schedule.daily_at}${next}`);
  }
  if (schedule.watch) how.push('watching the data');
  let text = how.join(', ');
  if (schedule.last_trigger) {
    text += `; last run ${formatTimestamp(schedule.last_trigger.at)} (${schedule.last_trigger.reason})`;
  }
  return text;
}

type Tone = 'pending' | 'ok' | 'warn' | 'down';

const dotClass: Record<Tone, string> = {
  pending: 'bg-slate-400 animate-pulse',
  ok: 'bg-emerald-500',
  warn: 'bg-amber-500',
  down: 'bg-rose-500',
};

const pillClass: Record<Tone, string> = {
  pending: 'border-slate-200 bg-white text-slate-600',
  ok: 'border-emerald-200 bg-emerald-50 text-emerald-900',
  warn: 'border-amber-200 bg-amber-50 text-amber-900',
  down: 'border-rose-200 bg-rose-50 text-rose-900',
};

/** The header's live view of `GET /api/health`: loading, ok (with the data range) or unreachable. */
export function HealthStatus() {
  const health = useHealth();

  let tone: Tone;
  let text: string;
  if (health.isPending) {
    tone = 'pending';
    text = 'Checking API…';
  } else if (health.isError) {
    tone = 'down';
    text = `API unreachable: ${health.error.message}`;
  } else {
    const degraded = health.data.data.orders === 0 || health.data.analysis.last_error !== null;
    tone = health.data.status === 'ok' ? (degraded ? 'warn' : 'ok') : 'down';
    text = describeHealth(health.data);
  }

  return (
    <p
      data-testid="health"
      role="status"
      aria-live="polite"
      aria-busy={health.isPending}
      title={text}
      className={`inline-flex max-w-full items-center gap-2 truncate rounded-full border px-3 py-1 text-xs font-medium ${pillClass[tone]}`}
    >
      <span aria-hidden="true" className={`size-2 shrink-0 rounded-full ${dotClass[tone]}`} />
      <span className="truncate">{text}</span>
    </p>
  );
}
