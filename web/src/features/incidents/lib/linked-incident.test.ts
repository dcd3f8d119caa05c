import { describe, expect, it } from 'vitest';
import { identityFromSearch } from '@/features/incidents/lib/linked-incident';

const identity = { metric: 'cx_score', slice: 'region=seattle', start: '2026-07-31' };

describe('identityFromSearch', () => {
  it('reads metric, slice and start', () => {
    expect(identityFromSearch(new URLSearchParams('metric=cx_score&slice=region%3Dseattle&start=2026-07-31'))).toEqual(identity);
  });

  it('is null without a complete, well-formed identity', () => {
    expect(identityFromSearch(new URLSearchParams('dim=platform'))).toBeNull();
    expect(identityFromSearch(new URLSearchParams('metric=cx_score&start=2026-07-31'))).toBeNull();
    expect(identityFromSearch(new URLSearchParams('metric=cx_score&slice=&start=2026-07-31'))).toBeNull();
    expect(identityFromSearch(new URLSearchParams('slice=all&start=2026-07-31'))).toBeNull();
    expect(identityFromSearch(new URLSearchParams('metric=cx_score&slice=all&start=2026-7-31'))).toBeNull();
    expect(identityFromSearch(new URLSearchParams('metric=cx_score&slice=all&start=2026-13-45'))).toBeNull();
  });
});
