import { Outlet, ScrollRestoration } from 'react-router';
import { AppLayout } from '@/components/layout/app-layout';
import { HealthStatus } from '@/features/health/components/health-status';

/** Frame shared by every page. */
export function RootRoute() {
  return (
    <AppLayout status={<HealthStatus />}>
      <Outlet />
      <ScrollRestoration />
    </AppLayout>
  );
}
