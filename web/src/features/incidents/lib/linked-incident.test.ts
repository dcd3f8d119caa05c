import { describe, expect, it } from 'vitest';
import { identityFromSearch, matchIncident, shiftDate } from '@/features/incidents/lib/linked-incident';
import { SUMMARY_1, SUMMARY_3 } from '@/testing/fixtures';

const identity = { metric: 'cx_score', slice: 'region=seattle', start: '2026-07-31' };

describe('matchIncident', () => {
  it('matches metric and slice with the start at most three days away', () => {
    expect(matchIncident([SUMMARY_3, SUMMARY_1], { ...identity, start: '2026-08-03' })?.id).toBe('INC-0001');
    expect(matchIncident([SUMMARY_1], { ...identity, start: '2026-08-04' })).toBeNull();
    expect(matchIncident([SUMMARY_1], { ...identity, start: '2026-07-27' })).toBeNull();
  });

  it('needs the same metric and slice', () => {
    expect(matchIncident([SUMMARY_1], { ...identity, metric: 'on_time_rate' })).toBeNull();
    expect(matchIncident([SUMMARY_1], { ...identity, slice: 'region=boston' })).toBeNull();
  });

  it('takes the nearest start, and the earlier one on a tie, as the server does', () => {
    const before = { ...SUMMARY_1, id: 'INC-0005', start_date: '2026-07-29' };
    const after = { ...SUMMARY_1, id: 'INC-0006', start_date: '2026-08-02' };
    const near = { ...SUMMARY_1, id: 'INC-0007', start_date: '2026-08-01' };
    expect(matchIncident([after, before], identity)?.id).toBe('INC-0005');
    expect(matchIncident([after, before, near], identity)?.id).toBe('INC-0007');
  });
});

describe('identityFromSearch', () => {
  it('reads metric, slice and start', () => {
    expect(identityFromSearch(new URLSearchParams('metric=cx_score&slice=region%3Dseattle&start=2026-07-31'))).toEqual(identity);
  });

  it('is null without a complete, well-formed identity', () => {
    expect(identityFromSearch(new URLSearchParams('dim=platform'))).toBeNull();
    expect(identityFromSearch(new URLSearchParams('metric=cx_score&start=2026-07-31'))).toBeNull();
    expect(identityFromSearch(new URLSearchParams('metric=cx_score&slice=all&start=2026-7-31'))).toBeNull();
    expect(identityFromSearch(new URLSearchParams('metric=cx_score&slice=all&start=2026-13-45'))).toBeNull();
  });
});

describe('shiftDate', () => {
  it('moves across months and years', () => {
    expect(shiftDate('2026-07-31', 3)).toBe('2026-08-03');
    expect(shiftDate('2027-01-02', -3)).toBe('2026-12-30');
  });
});
