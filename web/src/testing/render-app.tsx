import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { AppProvider } from '@/app/provider';
import { routes } from '@/app/router';
import { createQueryClient } from '@/lib/query-client';

/** A cache with no retries, so a mocked failure shows at once. */
export function createTestQueryClient() {
  return createQueryClient({ queries: { retry: false, staleTime: Infinity } });
}

/** Mounts the whole app (providers, layout, routes) at `path`. */
export function renderApp(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const result = render(
    <AppProvider queryClient={createTestQueryClient()}>
      <RouterProvider router={router} />
    </AppProvider>,
  );
  return { ...result, router };
}

/** Mounts one component with a fresh query cache. */
export function renderWithQuery(ui: ReactElement) {
  const queryClient = createTestQueryClient();
  return { ...render(<AppProvider queryClient={queryClient}>{ui}</AppProvider>), queryClient };
}
