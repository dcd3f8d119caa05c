import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ErrorState, isNotImplemented } from '@/components/ui/error-state';
import { Skeleton } from '@/components/ui/skeleton';

type QueryStateProps<T> = {
  query: UseQueryResult<T>;
  /** "the incidents": used in "Loading the incidents" and "Could not load the incidents". */
  what: string;
  /** Placeholder size while loading. */
  skeletonClassName?: string;
  skeletonLines?: number;
  children: (data: T) => ReactNode;
};

/** Loading skeleton, error with the API's message, or the content. */
export function QueryState<T>({ query, what, skeletonClassName, skeletonLines, children }: QueryStateProps<T>) {
  if (query.isPending) return <Skeleton label={`Loading ${what}`} className={skeletonClassName} lines={skeletonLines} />;
  if (query.isError) {
    return isNotImplemented(query.error) ? (
      <ErrorState title={`Not available yet: ${what}`} error={query.error} />
    ) : (
      <ErrorState title={`Could not load ${what}`} error={query.error} onRetry={() => void query.refetch()} />
    );
  }
  return <>{children(query.data)}</>;
}
