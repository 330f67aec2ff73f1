import type { StoredSpan } from '../../local/traces/store';
import { waterfallRows } from '../../local/traces/waterfall';

export { waterfallRows, type WaterfallRow } from '../../local/traces/waterfall';

const pad = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
const ms = (value: number) => `${value.toFixed(1)} ms`.padStart(10);

/** The rows as terminal lines: service, operation (indented), offset, duration, status and a bar on a shared time axis. */
export function formatWaterfall(spans: readonly StoredSpan[], options: { color?: boolean; barWidth?: number } = {}): string[] {
  const rows = waterfallRows(spans);
  if (rows.length === 0) return [];
  const barWidth = options.barWidth ?? 30;
  const total = Math.max(...rows.map((r) => r.offsetMs + r.durationMs), 0.001);
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const traces = [...new Set(spans.map((s) => s.traceId))];
  const lines = [`trace ${traces.join(', ')}  ${spans.length} spans  ${total.toFixed(1)} ms`, `${pad('SERVICE', 32)}${pad('OPERATION', 36)}${'OFFSET'.padStart(10)}${'DURATION'.padStart(10)}  ${pad('STATUS', 24)}`];
  for (const row of rows) {
    const start = Math.floor((row.offsetMs / total) * barWidth);
    const length = Math.max(1, Math.round((row.durationMs / total) * barWidth));
    const bar = `${' '.repeat(start)}${(row.lag ? '░' : '█').repeat(Math.min(length, barWidth - start))}`.padEnd(barWidth);
    const line = `${pad(row.service, 32)}${pad(`${'  '.repeat(row.depth)}${row.operation}`, 36)}${ms(row.offsetMs)}${ms(row.durationMs)}  ${pad(row.status, 24)}|${bar}|`;
    lines.push(row.status.startsWith('error') ? paint('31', line) : row.lag ? paint('2', line) : line);
  }
  return lines;
}
