import { ApiError } from '@/lib/api-client';

type ErrorStateProps = {
  /** What could not be loaded ("Could not load the incidents"). */
  title: string;
  error: unknown;
  /** Offer a retry (the query's `refetch`). */
  onRetry?: () => void;
};

/** HTTP 501: the server works, but the analysis stage behind this endpoint has produced nothing yet. */
export function isNotImplemented(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 501;
}

/** A failed request: what failed, and the API's own message. */
export function ErrorState({ title, error, onRetry }: ErrorStateProps) {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  const status = error instanceof ApiError && error.status > 0 ? error.status : undefined;
  if (isNotImplemented(error)) {
    // Not a fault to retry: say plainly that this stage has no results, in the server's words.
    return (
      <div role="alert" className="flex flex-col items-start gap-2 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3">
        <p className="text-sm font-semibold text-amber-950">{title}</p>
        <p className="text-sm break-words text-amber-900">{message}</p>
        <p className="text-xs text-amber-800">
          HTTP 501 · {code}. The stored analysis does not include this stage yet; it appears here once an analysis that
          produces it has run (the header&apos;s API health shows when the served results were analysed).
        </p>
      </div>
    );
  }
  return (
    <div role="alert" className="flex flex-col items-start gap-2 rounded-lg border border-rose-200 bg-rose-50 px-4 py-3">
      <p className="text-sm font-semibold text-rose-900">{title}</p>
      <p className="text-sm break-words text-rose-800">{message}</p>
      {code || status ? (
        <p className="text-xs text-rose-700">
          {[status ? `HTTP ${status}` : null, code].filter(Boolean).join(' · ')}
        </p>
      ) : null}
      {onRetry ? (
        <button
          type="button"
          onClick={onRetry}
          className="rounded-md border border-rose-300 bg-white px-2.5 py-1 text-xs font-medium text-rose-800 hover:bg-rose-100"
        >
          Try again
        </button>
      ) : null}
    </div>
  );
}
