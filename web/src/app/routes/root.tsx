import { useEffect, useRef } from 'react';
import { Outlet, ScrollRestoration, useLocation } from 'react-router';
import { AppLayout } from '@/components/layout/app-layout';
import { TokenPrompt } from '@/components/layout/token-prompt';
import { HealthStatus } from '@/features/health/components/health-status';

/**
 * After an in-app navigation, move focus to the new page's content, so
 * keyboard and screen-reader users start on it rather than on the old link.
 */
function useFocusMainOnNavigation() {
  const { pathname } = useLocation();
  const previous = useRef(pathname);
  useEffect(() => {
    if (previous.current === pathname) return;
    previous.current = pathname;
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [pathname]);
}

/** Frame shared by every page. */
export function RootRoute() {
  useFocusMainOnNavigation();
  return (
    <AppLayout status={<HealthStatus />}>
      <TokenPrompt />
      <Outlet />
      <ScrollRestoration />
    </AppLayout>
  );
}
