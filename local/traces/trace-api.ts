import type { TraceStore } from './store';
import { isChangeProcessing, waterfallRows, type WaterfallRow } from './waterfall';

/**
 * Where the local gateway serves traces to the web app. Under `/api/` but in no topology route, so it is
 * never deployed: on AWS the static function answers it with the API's 404, the view says traces are
 * shown locally only, and no function's role needs to read X-Ray.
 */
export const TRACE_API_PATH = '/api/local/traces';

/** A change the replicator processed, with the trace it belongs to. */
export interface RecentChange {
  traceId: string;
  /** When the replicator processed it (ISO-8601). */
  at: string;
  table: string;
  /** INSERT, MODIFY or REMOVE. */
  operation: string;
  /** The trace's first span: the request that made the change (`POST /api/todos`), when recorded. */
  request?: string;
  /** The request id a user quotes (`x-request-id`). */
  requestId?: string;
}

export interface TraceView {
  traceId: string;
  totalMs: number;
  spans: number;
  rows: WaterfallRow[];
}

export interface TraceApiAnswer {
  statusCode: number;
  body: unknown;
}

const RECENT = 10;

/**
 * `GET /api/local/traces`: the latest changes the replicator processed, newest first, one per trace.
 * `GET /api/local/traces/<trace-id|request-id>`: that trace as waterfall rows (the ones `npm run trace`
 * prints). Undefined when the path is not the trace API's.
 */
export function answerTraceApi(store: TraceStore, method: string, path: string): TraceApiAnswer | undefined {
  if (path !== TRACE_API_PATH && !path.startsWith(`${TRACE_API_PATH}/`)) return undefined;
  if (method !== 'GET') return error(405, 'MethodNotAllowed', `${TRACE_API_PATH} answers GET only`);
  const id = decodeURIComponent(path.slice(TRACE_API_PATH.length + 1));
  if (!id) return { statusCode: 200, body: { changes: recentChanges(store) } };
  if (!/^[A-Za-z0-9_=-]{1,64}$/.test(id)) return error(400, 'BadRequest', 'a trace id or request id is expected');
  const spans = store.find(id);
  if (spans.length === 0) return error(404, 'NotFound', `no trace for ${id}`);
  const rows = waterfallRows(spans);
  const view: TraceView = {
    traceId: [...new Set(spans.map((s) => s.traceId))].join(','),
    totalMs: Math.max(0, ...rows.map((r) => r.offsetMs + r.durationMs)),
    spans: spans.length,
    rows,
  };
  return { statusCode: 200, body: view };
}

function recentChanges(store: TraceStore): RecentChange[] {
  const seen = new Set<string>();
  const changes: RecentChange[] = [];
  // Redeliveries and the replica fan-out give one trace several record spans: the newest stands for it.
  for (const span of store.recent(isChangeProcessing, RECENT * 4)) {
    if (seen.has(span.traceId) || changes.length >= RECENT) continue;
    seen.add(span.traceId);
    const root = store.trace(span.traceId)[0];
    const tables = span.attributes['aws.dynamodb.table_names'];
    changes.push({
      traceId: span.traceId,
      at: new Date(span.startMs).toISOString(),
      table: String((Array.isArray(tables) ? tables[0] : tables) ?? 'unknown'),
      operation: String(span.attributes['db.operation'] ?? 'unknown'),
      ...(root && root !== span ? { request: root.name } : {}),
      ...(typeof root?.attributes['aws.request_id'] === 'string' ? { requestId: root.attributes['aws.request_id'] } : {}),
    });
  }
  return changes;
}

const error = (statusCode: number, code: string, message: string): TraceApiAnswer => ({ statusCode, body: { error: { code, message } } });
