import type { HttpMethod } from '@/docs/lib/openapi';

const COLORS: Record<HttpMethod, string> = {
  get: 'bg-sky-100 text-sky-800 ring-sky-300',
  post: 'bg-emerald-100 text-emerald-800 ring-emerald-300',
  put: 'bg-amber-100 text-amber-800 ring-amber-300',
  patch: 'bg-violet-100 text-violet-800 ring-violet-300',
  delete: 'bg-rose-100 text-rose-800 ring-rose-300',
  head: 'bg-slate-100 text-slate-700 ring-slate-300',
  options: 'bg-slate-100 text-slate-700 ring-slate-300',
  trace: 'bg-slate-100 text-slate-700 ring-slate-300',
};

/** `GET`, `POST`, … in the colours Swagger UI users know. */
export function MethodBadge({ method }: { method: HttpMethod }) {
  return (
    <span
      className={`inline-flex w-16 shrink-0 justify-center rounded px-2 py-1 font-mono text-xs font-bold uppercase ring-1 ring-inset ${COLORS[method]}`}
    >
      {method}
    </span>
  );
}
