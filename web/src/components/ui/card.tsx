import type { ReactNode } from 'react';

type CardProps = {
  /** Heading of the card; also names its region for screen readers. */
  title: string;
  /** Heading level inside the page outline. */
  level?: 2 | 3;
  description?: string;
  actions?: ReactNode;
  className?: string;
  children?: ReactNode;
};

/** A titled panel: the building block of every page. */
export function Card({ title, level = 2, description, actions, className = '', children }: CardProps) {
  const Heading = level === 2 ? 'h2' : 'h3';
  const headingId = `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section
      aria-labelledby={headingId}
      className={`flex flex-col rounded-xl border border-slate-200 bg-white shadow-sm ${className}`}
    >
      <div className="flex items-start justify-between gap-4 border-b border-slate-100 px-5 py-4">
        <div className="min-w-0">
          <Heading id={headingId} className="text-sm font-semibold text-slate-900">
            {title}
          </Heading>
          {description ? <p className="mt-1 text-sm text-slate-500">{description}</p> : null}
        </div>
        {actions ? <div className="shrink-0">{actions}</div> : null}
      </div>
      <div className="flex flex-1 flex-col p-5">{children}</div>
    </section>
  );
}
