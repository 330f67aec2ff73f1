/** One sample of a replica's status, as the view polled it. */
export interface Sample {
  at: number;
  lagMs: number;
  /** Changes applied (replicator and backfill) since the previous sample. */
  applied: number;
}

/** How far back the chart looks. */
export const HISTORY_MS = 5 * 60_000;
const WIDTH = 120;
const HEIGHT = 32;

/** Points of a polyline for `values` over the chart's width (newest on the right), scaled to their max. */
export function polyline(samples: readonly Sample[], value: (s: Sample) => number, now: number): string {
  const max = Math.max(1, ...samples.map(value));
  return samples
    .map((s) => {
      const x = WIDTH - ((now - s.at) / HISTORY_MS) * WIDTH;
      const y = HEIGHT - 1 - (value(s) / max) * (HEIGHT - 2);
      return `${Math.max(0, x).toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

/**
 * Lag and applied changes over the last minutes, drawn with SVG attributes only (no inline style or
 * script, so the site's Content-Security-Policy holds); colours come from the stylesheet.
 */
export function ReplicaChart({ name, samples, now }: { name: string; samples: readonly Sample[]; now: number }) {
  const peakLag = Math.max(0, ...samples.map((s) => s.lagMs));
  const applied = samples.reduce((n, s) => n + s.applied, 0);
  return (
    <svg class="replica-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${name}: over the last 5 minutes, ${applied} changes applied, peak lag ${Math.round(peakLag)} ms`}>
      <polyline class="applied-line" points={polyline(samples, (s) => s.applied, now)} />
      <polyline class="lag-line" points={polyline(samples, (s) => s.lagMs, now)} />
    </svg>
  );
}
