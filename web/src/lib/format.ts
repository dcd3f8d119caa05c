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
