import { isRouteErrorResponse, useRouteError } from 'react-router';
import { LinkButton } from '@/components/ui/link-button';
import { paths } from '@/lib/paths';

/** Shown instead of a page that failed to render, so one bug does not blank the app. */
export function RouteErrorRoute() {
  const error = useRouteError();
  let message: string;
  if (isRouteErrorResponse(error)) message = `${error.status} ${error.statusText}`;
  else if (error instanceof Error) message = error.message;
  else message = 'Unknown error';
  return (
    <main className="mx-auto flex min-h-screen max-w-lg flex-col items-center justify-center gap-4 px-4 text-center">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Something went wrong</h1>
      <p role="alert" className="text-sm text-slate-600">
        {message}
      </p>
      <LinkButton to={paths.dashboard.to()}>Back to the dashboard</LinkButton>
    </main>
  );
}
