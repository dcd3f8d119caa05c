import type { ReactNode } from 'react';

type EmptyStateProps = {
  title: string;
  children?: ReactNode;
};

/** The API answered, with nothing to show: say so and why. */
export function EmptyState({ title, children }: EmptyStateProps) {
  return (
    <div
      data-testid="empty"
      className="flex flex-1 flex-col items-center justify-center gap-1 rounded-lg border border-dashed border-slate-300 bg-slate-50 px-4 py-8 text-center"
    >
      <p className="text-sm font-medium text-slate-700">{title}</p>
      {children ? <div className="max-w-prose text-sm text-slate-600">{children}</div> : null}
    </div>
  );
}
