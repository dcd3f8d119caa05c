/** Chart colours: Tailwind's palette, chosen for contrast on white and for colour-blind readers (blue vs orange). */
export const chartColors = {
  primary: '#4f46e5', // indigo-600
  secondary: '#ea580c', // orange-600
  muted: '#94a3b8', // slate-400
  grid: '#e2e8f0', // slate-200
  axis: '#475569', // slate-600
  good: '#059669', // emerald-600
  bad: '#e11d48', // rose-600
  incident: { high: '#fecdd3', medium: '#fde68a', low: '#bae6fd' }, // rose/amber/sky-200
} as const;

export const axisTick = { fontSize: 12, fill: chartColors.axis } as const;

/** "2026-07-31" -> "07-31" for crowded date axes. */
export function shortDate(date: string): string {
  return typeof date === 'string' && date.length === 10 ? date.slice(5) : String(date);
}
