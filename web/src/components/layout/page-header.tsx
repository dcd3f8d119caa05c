import type { ReactNode } from 'react';

type PageHeaderProps = {
  /** The page's only h1. */
  title: ReactNode;
  /** Small line above the title, e.g. the section of the app. */
  eyebrow?: string;
  description?: string;
  actions?: ReactNode;
};

/** Title block at the top of every page. */
export function PageHeader({ title, eyebrow, description, actions }: PageHeaderProps) {
  return (
    <div className="flex flex-wrap items-end justify-between gap-4">
      <div className="min-w-0">
        {eyebrow ? (
          <p className="text-xs font-semibold tracking-wide text-indigo-600 uppercase">{eyebrow}</p>
        ) : null}
        <h1 className="mt-1 text-2xl font-semibold tracking-tight text-slate-900 break-words">{title}</h1>
        {description ? <p className="mt-1 max-w-3xl text-sm text-slate-600">{description}</p> : null}
      </div>
      {actions ? <div className="flex shrink-0 flex-wrap gap-2">{actions}</div> : null}
    </div>
  );
}
