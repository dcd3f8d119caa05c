type PendingContentProps = {
  /** What will be shown here once the engine produces it. */
  children: string;
};

/**
 * The honest empty state: says plainly that this content comes from the
 * analysis engine and is not there yet, instead of showing made-up numbers.
 */
export function PendingContent({ children }: PendingContentProps) {
  return (
    <div
      data-testid="pending"
      className="flex flex-1 flex-col items-center justify-center gap-2 rounded-lg border border-dashed border-slate-300 bg-slate-50 px-4 py-8 text-center"
    >
      <span className="rounded-full bg-slate-200 px-2.5 py-0.5 text-xs font-medium text-slate-700">
        Arrives with the engine
      </span>
      <p className="max-w-prose text-sm text-slate-600">{children}</p>
    </div>
  );
}
