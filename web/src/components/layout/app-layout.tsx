import type { ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { paths } from '@/lib/paths';

type AppLayoutProps = {
  /** The live API status shown at the right of the header. */
  status: ReactNode;
  children: ReactNode;
};

const navLinkClass = ({ isActive }: { isActive: boolean }) =>
  `rounded-md px-3 py-2 text-sm font-medium transition-[color,background-color,border-color] ${
    isActive ? 'bg-slate-100 text-slate-900' : 'text-slate-600 hover:bg-slate-50 hover:text-slate-900'
  }`;

/** Page frame: skip link, header with title, navigation and API status, then the page. */
export function AppLayout({ status, children }: AppLayoutProps) {
  return (
    <div className="flex min-h-screen flex-col bg-slate-50 text-slate-900">
      <a
        href="#main"
        className="sr-only rounded-md bg-white px-3 py-2 text-sm font-semibold text-indigo-700 shadow focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50"
      >
        Skip to main content
      </a>
      <header className="sticky top-0 z-40 border-b border-slate-200 bg-white/95 backdrop-blur">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6 lg:px-8">
          <Link to={paths.dashboard.to()} className="flex items-center gap-2.5 rounded-md">
            <svg aria-hidden="true" viewBox="0 0 32 32" className="size-8">
              <rect width="32" height="32" rx="7" className="fill-indigo-600" />
              <path
                d="M7 20l6-6 4 4 8-8"
                fill="none"
                stroke="white"
                strokeWidth="3"
                strokeLinecap="round"
                strokeLinejoin="round"
              />
            </svg>
            <span className="flex flex-col leading-tight">
              <span className="text-base font-semibold tracking-tight">cxagent</span>
              <span className="text-xs text-slate-500">Customer experience monitor</span>
            </span>
          </Link>
          <nav aria-label="Main" className="flex items-center gap-1">
            <NavLink to={paths.dashboard.to()} end className={navLinkClass}>
              Dashboard
            </NavLink>
            <a href={paths.apiDocs} className={navLinkClass({ isActive: false })}>
              API docs
            </a>
          </nav>
          <div className="ml-auto min-w-0">{status}</div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto w-full max-w-7xl flex-1 px-4 py-8 outline-none sm:px-6 lg:px-8">
        {children}
      </main>
      <footer className="border-t border-slate-200 bg-white">
        <p className="mx-auto max-w-7xl px-4 py-4 text-xs text-slate-500 sm:px-6 lg:px-8">
          cxagent tells operations whether customer experience regressed, where, why and what to do.
        </p>
      </footer>
    </div>
  );
}
