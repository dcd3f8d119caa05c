import { ApiError } from '@/lib/api-client';

type ErrorStateProps = {
  /** What could not be loaded ("Could not load the incidents"). */
  title: string;
  error: unknown;
  /** Offer a retry (the query's `refetch`). */
  onRetry?: () => void;
};

/** A failed request: what failed, and the API's own message. */
export function ErrorState({ title, error, onRetry }: ErrorStateProps) {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  const status = error instanceof ApiError && error.status > 0 ? error.status : undefined;
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
