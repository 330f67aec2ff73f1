import type { StoredSpan } from '../../local/traces/store';

export interface WaterfallRow {
  depth: number;
  service: string;
  operation: string;
  offsetMs: number;
  durationMs: number;
  status: string;
  /** The replication lag, a row of its own: from the change's publication (or the writer's end) to its processing. */
  lag?: boolean;
}

/**
 * A trace as rows in tree order (children by start time, under their parent), with a `replication lag`
 * row before each span that processes a change from the stream. Spans whose parent is not in the trace
 * (a delete's linked trace, a lost span) start a tree of their own.
 */
export function waterfallRows(spans: readonly StoredSpan[]): WaterfallRow[] {
  if (spans.length === 0) return [];
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, StoredSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : '';
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const rows: WaterfallRow[] = [];
  const visit = (parent: string, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      if (span.kind === 'consumer' && span.attributes['messaging.operation'] === 'process') {
        const from = lagStart(spans, span);
        if (from !== undefined) rows.push({ depth, service: '', operation: 'replication lag', offsetMs: from - t0, durationMs: Math.max(0, span.startMs - from), status: '', lag: true });
      }
      rows.push({ depth, service: span.service, operation: span.name, offsetMs: span.startMs - t0, durationMs: span.endMs - span.startMs, status: status(span) });
      visit(span.spanId, depth + 1);
    }
  };
  visit('', 0);
  return rows;
}

/** The latest publication that ended before the record was processed; without one (on AWS), the writer's end. */
function lagStart(spans: readonly StoredSpan[], consumer: StoredSpan): number | undefined {
  const published = spans.filter((s) => s.kind === 'producer' && s.endMs <= consumer.startMs).map((s) => s.endMs);
  if (published.length) return Math.max(...published);
  return spans.find((s) => s.spanId === consumer.parentSpanId)?.endMs;
}

function status(span: StoredSpan): string {
  if (span.status.code !== 'error') return 'ok';
  return span.status.message ? `error: ${span.status.message}` : 'error';
}

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
