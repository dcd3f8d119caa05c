import { useLocation } from 'react-router';
import { LinkButton } from '@/components/ui/link-button';
import { paths } from '@/lib/paths';

/** Any path the dashboard does not know. */
export function NotFoundRoute() {
  const { pathname } = useLocation();
  return (
    <div className="mx-auto flex max-w-lg flex-col items-center gap-4 py-16 text-center">
      <title>Page not found · cxagent</title>
      <p className="text-sm font-semibold text-indigo-600">404</p>
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Page not found</h1>
      <p className="text-sm text-slate-600">
        There is no page at <code className="rounded bg-slate-100 px-1.5 py-0.5 break-all">{pathname}</code>.
      </p>
      <LinkButton to={paths.dashboard.to()}>Back to the dashboard</LinkButton>
    </div>
  );
}
