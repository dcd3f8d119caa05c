import { describe, expect, it } from 'vitest';
import { formatMetric, formatMetricDelta, formatNumber, formatSigned, formatSlice, humanize } from '@/lib/format';
import { formatInterval } from '@/lib/interval';

describe('format', () => {
  it('writes signs as in print and leaves zero unsigned', () => {
    expect(formatSigned(-5.34)).toBe('−5.3');
    expect(formatSigned(2)).toBe('+2.0');
    expect(formatSigned(1e-16, 2)).toBe('0.00');
    expect(formatNumber(-0.4, 2)).toBe('−0.40');
  });

  it('writes rates as percentages and their changes in points, other metrics as numbers', () => {
    expect(formatMetric('on_time_rate', 0.912)).toBe('91.2%');
    expect(formatMetricDelta('on_time_rate', -0.13)).toBe('−13.0 pp');
    expect(formatMetric('cx_score', 86.24)).toBe('86.2');
    expect(formatMetric('avg_rating', 4.6)).toBe('4.60');
    expect(formatMetric('cx_score', null)).toBe('—');
  });

  it('writes slices, intervals and metric ids for people', () => {
    expect(formatSlice({ region: 'seattle', platform: 'ios' })).toBe('region=seattle, platform=ios');
    expect(formatSlice({})).toBe('all');
    expect(formatInterval({ mean: 5.1, ci90: [4.2, 6] })).toBe('+5.1 (90% CI +4.2 to +6.0)');
    expect(humanize('cx_score')).toBe('CX Score');
    expect(humanize('missing_item_rate')).toBe('Missing item rate');
  });
});
