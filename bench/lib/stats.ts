/**
 * Medians and spreads. Every figure is a set of repeats summarised by its median and min..max, because
 * a shared 2-core machine makes single runs meaningless.
 */
export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function stat(values: readonly number[]): Stat {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** Ratio of two medians, each repeat paired with the reference taken right beside it. */
export function ratioStat(values: readonly number[], references: readonly number[]): Stat {
  return stat(values.map((v, i) => v / (references[i] ?? Number.NaN)));
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** `12.3 (11.9–13.0)`: the median and the spread of the repeats. */
export function formatStat(s: Stat, digits = 1): string {
  if (!Number.isFinite(s.median)) return 'n/a';
  if (s.n <= 1 || s.min === s.max) return s.median.toFixed(digits);
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}
