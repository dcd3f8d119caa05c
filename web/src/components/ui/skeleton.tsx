type SkeletonProps = {
  /** What is loading, for screen readers ("Loading the CX Score trend"). */
  label: string;
  /** Tailwind size classes of the placeholder block. */
  className?: string;
  /** Placeholder lines instead of one block. */
  lines?: number;
};

/** A grey shape where content will be, announced as busy. */
export function Skeleton({ label, className = 'h-48', lines }: SkeletonProps) {
  return (
    <div role="status" aria-busy="true" aria-label={label} data-testid="skeleton" className="flex flex-col gap-2">
      {lines ? (
        Array.from({ length: lines }, (_, i) => (
          <div key={i} className="h-5 animate-pulse rounded bg-slate-200" style={{ width: `${90 - (i % 3) * 15}%` }} />
        ))
      ) : (
        <div className={`w-full animate-pulse rounded-lg bg-slate-200 ${className}`} />
      )}
      <span className="sr-only">{label}…</span>
    </div>
  );
}
