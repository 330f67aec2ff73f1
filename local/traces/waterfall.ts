import type { StoredSpan } from './store';

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
 * (a delete's linked trace, a lost span) start a tree of their own. `npm run trace` prints these rows;
 * the web app's trace view draws them.
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
      if (isChangeProcessing(span)) {
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

/** The replicator's span for one change record (OTel messaging, operation `process`). */
export function isChangeProcessing(span: StoredSpan): boolean {
  return span.kind === 'consumer' && span.attributes['messaging.operation'] === 'process';
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
