// Type-level checks of the generated API types, enforced by `tsc -b` (which
// covers the tests): the pages rely on these shapes, and a change in the
// server's document that breaks them must fail the build, not a page.
import { describe, expectTypeOf, it } from 'vitest';
import type { CxScorePoint, Evidence, Health, IncidentStatus, Interval, MetricBreakdown, ParamValue, Recommendation, Severity } from '@/types/api';

describe('API types generated from the server document', () => {
  it('discriminates Evidence on kind with the values the server sends', () => {
    expectTypeOf<Evidence['kind']>().toEqualTypeOf<'driver_shift' | 'shap' | 'did' | 'change_log'>();
    expectTypeOf<Extract<Evidence, { kind: 'did' }>>().toHaveProperty('treated');
    expectTypeOf<Extract<Evidence, { kind: 'driver_shift' }>['change_date']>().toEqualTypeOf<string | null>();
  });

  it('keeps ci90 a [lo, hi] pair', () => {
    expectTypeOf<Interval['ci90']>().toEqualTypeOf<[number, number]>();
  });

  it('says which numbers may be missing', () => {
    expectTypeOf<CxScorePoint['cx_score']>().toEqualTypeOf<number | null>();
    expectTypeOf<MetricBreakdown['delta']>().toEqualTypeOf<number | null>();
    expectTypeOf<Health['analyzed_at']>().toEqualTypeOf<string | null>();
  });

  it('has the enums the filters offer', () => {
    expectTypeOf<Severity>().toEqualTypeOf<'high' | 'medium' | 'low'>();
    expectTypeOf<IncidentStatus>().toEqualTypeOf<'open' | 'acknowledged' | 'resolved'>();
    expectTypeOf<Recommendation['params'][string]>().toEqualTypeOf<ParamValue>();
    expectTypeOf<ParamValue>().toEqualTypeOf<number | string | boolean>();
  });
});
