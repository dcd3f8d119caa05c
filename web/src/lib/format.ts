// A fixed locale keeps the numbers the same on every machine and in every test.
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234 -> "1,234". */
export function formatInteger(value: number): string {
  return integer.format(value);
}

/** "2026-06-01", "2026-08-29" -> "2026-06-01 – 2026-08-29" (en dash, as in print); null when either end is unknown. */
export function formatDateRange(start: string | null, end: string | null): string | null {
  return start && end ? `${start} – ${end}` : null;
}

const fixed = (digits: number) =>
  new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const oneDecimal = fixed(1);
const twoDecimals = fixed(2);

/** A number the API may not have (a slice without orders in a window): shown as a dash. */
export const MISSING = '—';

const missing = (value: number | null | undefined): value is null | undefined =>
  value === null || value === undefined || Number.isNaN(value);

/** 86.24 -> "86.2", -0.4 -> "−0.4" (a true minus sign, as in print); null -> "—". */
export function formatNumber(value: number | null | undefined, digits = 1): string {
  if (missing(value)) return MISSING;
  return (digits === 1 ? oneDecimal : digits === 2 ? twoDecimals : fixed(digits)).format(value).replace('-', '−');
}

/** -5.34 -> "−5.3", 2 -> "+2.0" (a true minus sign, as in print); null -> "—". */
export function formatSigned(value: number | null | undefined, digits = 1): string {
  if (missing(value)) return MISSING;
  const text = formatNumber(Math.abs(value), digits);
  if (Number(text) === 0) return text;
  return `${value < 0 ? '−' : '+'}${text}`;
}

/** 0.812 -> "81%"; digits for more precision. */
export function formatPercent(fraction: number | null | undefined, digits = 0): string {
  if (missing(fraction)) return MISSING;
  return `${formatNumber(fraction * 100, digits)}%`;
}

/**
 * A metric value in its own unit: rates (`*_rate`, fractions of orders) as
 * percentages, everything else (CX Score, average rating) as a number.
 */
export function formatMetric(metric: string, value: number | null | undefined, digits = 1): string {
  if (missing(value)) return MISSING;
  return metric.endsWith('_rate') ? formatPercent(value, digits) : formatNumber(value, metric === 'avg_rating' ? 2 : digits);
}

/** A change of a metric in its own unit: rates in percentage points; null -> "—". */
export function formatMetricDelta(metric: string, value: number | null | undefined, digits = 1): string {
  if (missing(value)) return MISSING;
  return metric.endsWith('_rate') ? `${formatSigned(value * 100, digits)} pp` : formatSigned(value, metric === 'avg_rating' ? 2 : digits);
}

/** `{"region": "seattle", "platform": "ios"}` -> "region=seattle, platform=ios"; `{}` -> "all". */
export function formatSlice(slice: Record<string, string>): string {
  const parts = Object.entries(slice).map(([dimension, value]) => `${dimension}=${value}`);
  return parts.length ? parts.join(', ') : 'all';
}

/** "2026-11-24T21:50:00Z" -> "2026-11-24 21:50 UTC". */
export function formatTimestamp(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

/** "cx_score" -> "CX Score", "on_time_rate" -> "On time rate": for ids the API sends without a label. */
export function humanize(id: string): string {
  if (id === 'cx_score') return 'CX Score';
  const words = id.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `["deliveries.late_min"]` -> "not available: needs deliveries.late_min" (what the data lacks for a metric, cause or action). */
export function formatNeeds(needs: readonly string[]): string {
  return needs.length ? `not available: needs ${needs.join(', ')}` : 'available';
}
