import { describe, expect, it } from 'vitest';

import { stepFor } from './whatif-panel';

describe('stepFor', () => {
  it('steps a tenth of the value order of magnitude', () => {
    expect(stepFor(0.0023)).toBeCloseTo(0.0001, 12);
    expect(stepFor(2)).toBeCloseTo(0.1, 12);
    expect(stepFor(25)).toBe(1);
    expect(stepFor(-0.5)).toBeCloseTo(0.01, 12);
  });

  it('steps by one from zero or a non-number', () => {
    expect(stepFor(0)).toBe(1);
    expect(stepFor(Number.NaN)).toBe(1);
  });
});
