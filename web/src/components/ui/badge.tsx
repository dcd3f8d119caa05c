import type { IncidentStatus, Severity } from '@/types/api';

const severityClass: Record<Severity, string> = {
  high: 'bg-rose-100 text-rose-800 ring-rose-200',
  medium: 'bg-amber-100 text-amber-900 ring-amber-200',
  low: 'bg-sky-100 text-sky-900 ring-sky-200',
};

const statusClass: Record<IncidentStatus, string> = {
  open: 'bg-white text-slate-800 ring-slate-300',
  acknowledged: 'bg-indigo-50 text-indigo-800 ring-indigo-200',
  resolved: 'bg-emerald-50 text-emerald-800 ring-emerald-200',
};

const base = 'inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset whitespace-nowrap';

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`${base} ${severityClass[severity] ?? severityClass.low}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: IncidentStatus }) {
  return <span className={`${base} ${statusClass[status] ?? statusClass.open}`}>{status}</span>;
}
