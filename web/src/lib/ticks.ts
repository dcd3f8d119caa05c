/**
 * Evenly spaced round ticks for a small chart's value axis: a step of 1, 2,
 * 2.5 or 5 × 10^k, at most `maxTicks` ticks, the domain snapped to them so
 * every tick is drawn and none is a number like 84.5 that rounds to a label
 * it is not.
 */
export type NiceAxis = {
  domain: [number, number];
  ticks: number[];
  /** The step, to choose how many decimals the labels need. */
  step: number;
};

const MULTIPLES = [1, 2, 2.5, 5];

export function niceAxis(values: number[], maxTicks = 5): NiceAxis | null {
  if (maxTicks < 2) throw new RangeError('an axis needs at least two ticks');
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    // A flat series: a band around it, so the line sits in the middle.
    const pad = Math.abs(lo) * 0.05 || 1;
    lo -= pad;
    hi += pad;
  }
  const rough = (hi - lo) / Math.max(1, maxTicks - 1);
  // The smallest round step whose ticks fit; a coarser magnitude when none of this one does.
  for (let magnitude = 10 ** Math.floor(Math.log10(rough)); ; magnitude *= 10) {
    for (const multiple of MULTIPLES) {
      const step = multiple * magnitude;
      const start = Math.floor(lo / step + 1e-9) * step;
      const end = Math.ceil(hi / step - 1e-9) * step;
      const count = Math.round((end - start) / step) + 1;
      if (count <= maxTicks) {
        // Rounded to the step's own precision, so 0.1 + 0.2 does not reach a label as 0.30000000000000004.
        const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
        const ticks = Array.from({ length: count }, (_, i) => Number((start + i * step).toFixed(digits)));
        return { domain: [ticks[0]!, ticks.at(-1)!], ticks, step };
      }
    }
  }
}

/** Decimals a label needs to tell ticks `step` apart (in the unit shown: a rate's step × 100 for percent). */
export function stepDigits(step: number): number {
  for (let digits = 0; digits < 4; digits += 1) {
    const scaled = step * 10 ** digits;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6) return digits;
  }
  return 4;
}
