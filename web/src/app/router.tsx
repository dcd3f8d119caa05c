import { createBrowserRouter, RouterProvider, type RouteObject } from 'react-router';
import { DashboardRoute } from '@/app/routes/dashboard';
import { IncidentRoute } from '@/app/routes/incident';
import { NotFoundRoute } from '@/app/routes/not-found';
import { RcaRoute } from '@/app/routes/rca';
import { RecommendationsRoute } from '@/app/routes/recommendations';
import { RootRoute } from '@/app/routes/root';
import { RouteErrorRoute } from '@/app/routes/route-error';
import { paths } from '@/lib/paths';

/** The dashboard's routes (interfaces.md §6); exported so tests can mount them in memory. */
export const routes: RouteObject[] = [
  {
    element: <RootRoute />,
    errorElement: <RouteErrorRoute />,
    children: [
      { path: paths.dashboard.pattern, element: <DashboardRoute /> },
      { path: paths.incident.pattern, element: <IncidentRoute /> },
      { path: paths.rca.pattern, element: <RcaRoute /> },
      { path: paths.recommendations.pattern, element: <RecommendationsRoute /> },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
];

const router = createBrowserRouter(routes);

export function AppRouter() {
  return <RouterProvider router={router} />;
}
