import type { Chart } from './types';

/**
 * A grouped bar chart with min..max whiskers, as a small hand-written SVG: no chart library is installed,
 * and ~60 lines of string templates avoid adding one (and a headless canvas) for a few static plots.
 */
const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2'];
const W = 640;
const H = 260;
const M = { top: 30, right: 10, bottom: 50, left: 60 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

export function barChart(chart: Chart): string {
  const series = [...new Set(chart.groups.flatMap((g) => g.bars.map((b) => b.series)))];
  const top = niceMax(Math.max(0, ...chart.groups.flatMap((g) => g.bars.map((b) => (Number.isFinite(b.value.max) ? b.value.max : 0)))));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const groupW = plotW / Math.max(1, chart.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  const y = (v: number) => M.top + plotH - (Math.max(0, v) / top) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(chart.title)}</text>`,
    `<text x="12" y="${M.top + plotH / 2}" transform="rotate(-90 12 ${M.top + plotH / 2})" text-anchor="middle">${esc(chart.unit)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 4}" y="${y(v) + 4}" text-anchor="end">${+v.toPrecision(3)}</text>`);
  }
  chart.groups.forEach((group, gi) => {
    const gx = M.left + gi * groupW + groupW * 0.1;
    group.bars.forEach((bar) => {
      const si = series.indexOf(bar.series);
      const x = gx + si * barW;
      const { median, min, max } = bar.value;
      if (!Number.isFinite(median)) return;
      out.push(`<rect x="${x.toFixed(1)}" y="${y(median).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(y(0) - y(median)).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${bar.series}: ${+median.toPrecision(4)} ${chart.unit}`)}</title></rect>`);
      const cx = (x + (barW - 2) / 2).toFixed(1);
      if (max > min) out.push(`<line x1="${cx}" x2="${cx}" y1="${y(min).toFixed(1)}" y2="${y(max).toFixed(1)}" stroke="#333"/>`);
    });
    out.push(`<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${H - M.bottom + 14}" text-anchor="middle">${esc(group.label)}</text>`);
  });
  series.forEach((name, si) => {
    const lx = M.left + si * 130;
    out.push(`<rect x="${lx}" y="${H - 18}" width="10" height="10" fill="${COLORS[si % COLORS.length]}"/><text x="${lx + 14}" y="${H - 9}">${esc(name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
