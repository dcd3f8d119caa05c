import { formatSigned } from '@/lib/format';
import type { Interval } from '@/types/api';

/** "+5.1 (90% CI +4.2 to +6.0)". */
export function formatInterval(interval: Interval, digits = 1, unit = ''): string {
  const [lo, hi] = interval.ci90;
  return `${formatSigned(interval.mean, digits)}${unit} (90% CI ${formatSigned(lo, digits)} to ${formatSigned(hi, digits)}${unit})`;
}
