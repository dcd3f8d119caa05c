import { describe, expect, it } from 'vitest';
import { niceAxis, stepDigits } from '@/lib/ticks';

describe('niceAxis', () => {
  it('snaps the domain to round, evenly spaced ticks around the data', () => {
    expect(niceAxis([84.3, 95.8])).toEqual({ domain: [80, 100], ticks: [80, 85, 90, 95, 100], step: 5 });
    expect(niceAxis([0.781, 0.908])).toEqual({ domain: [0.75, 0.95], ticks: [0.75, 0.8, 0.85, 0.9, 0.95], step: 0.05 });
    expect(niceAxis([0.781, 0.908], 3)?.ticks).toEqual([0.6, 0.8, 1]);
  });

  it('puts a flat series in the middle of a band, and skips what is not a number', () => {
    expect(niceAxis([2, 2, Number.NaN])).toEqual({ domain: [1.9, 2.1], ticks: [1.9, 1.95, 2, 2.05, 2.1], step: 0.05 });
    expect(niceAxis([])).toBeNull();
  });
});

describe('stepDigits', () => {
  it('counts the decimals a step needs', () => {
    expect(stepDigits(5)).toBe(0);
    expect(stepDigits(2.5)).toBe(1);
    expect(stepDigits(0.25)).toBe(2);
    expect(stepDigits(0.05 * 100)).toBe(0);
  });
});
