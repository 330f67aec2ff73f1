/**
 * The one shape every log source produces, and the parser that reads meaning out of a raw line.
 * A line is either a Powertools JSON record, an EMF metrics record, one of Lambda's own
 * START / END / REPORT lines, or free text (console output, stack traces).
 */

/** A CloudWatch-like log event; local files and FilterLogEvents / StartLiveTail all map to it. */
export interface LogEvent {
  timestamp: number;
  /** The raw line, exactly as the function wrote it. */
  message: string;
  function: string;
  logStream: string;
  logGroup?: string;
  eventId?: string;
  ingestionTime?: number;
}

export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL';

export const LEVEL_ORDER: Record<Level, number> = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24 };

export interface ReportStats {
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  initDurationMs?: number;
}

export type ParsedLine =
  | { kind: 'json'; level?: Level; text: string; fields: Record<string, unknown>; apiRequestId?: string; lambdaRequestId?: string }
  | { kind: 'metrics'; text: string; metrics: Record<string, unknown>; lambdaRequestId?: string }
  | { kind: 'start' | 'end'; text: string; lambdaRequestId: string }
  | { kind: 'report'; text: string; lambdaRequestId: string; stats: ReportStats }
  | { kind: 'text'; level?: Level; text: string; lambdaRequestId?: string };

/**
 * Keys on every record (Powertools' own, and the HTTP adapter's request keys): the formatter shows the
 * ids in fixed places and leaves the rest to `--json`; routeKey repeats the method and path.
 */
export const STANDARD_KEYS = new Set([
  'level', 'message', 'service', 'timestamp', 'function_name', 'function_arn', 'function_memory_size',
  'function_request_id', 'cold_start', 'spanId', 'xray_trace_id', 'requestId', 'x-request-id', 'sampling_rate', 'routeKey',
]);

const LAMBDA_LINE = /^(START|END|REPORT) RequestId: ([0-9A-Za-z-]+)/;
// Lambda's own text format for console.* output: "<ISO time>\t<request id>\t<LEVEL>\t<message>".
const RUNTIME_TEXT = /^\d{4}-\d\d-\d\dT[\d:.]+Z\t([0-9a-f-]{36}|undefined)\t([A-Z]+)\t([\s\S]*)$/;

export function parseLine(message: string): ParsedLine {
  const text = message.replace(/\s+$/, '');
  const lambda = LAMBDA_LINE.exec(text);
  if (lambda) {
    const kind = lambda[1]!.toLowerCase() as 'start' | 'end' | 'report';
    const lambdaRequestId = lambda[2]!;
    if (kind === 'report') return { kind, text, lambdaRequestId, stats: parseReport(text) };
    return { kind, text, lambdaRequestId };
  }
  if (text.startsWith('{')) {
    const fields = tryJson(text);
    if (fields) return fromJson(fields, text);
  }
  const runtime = RUNTIME_TEXT.exec(text);
  if (runtime) {
    const level = toLevel(runtime[2]);
    const id = runtime[1] === 'undefined' ? undefined : runtime[1];
    const inner = runtime[3]!;
    // Powertools JSON printed through console.* on the managed runtime still arrives wrapped this way.
    const fields = inner.startsWith('{') ? tryJson(inner) : undefined;
    if (fields) {
      const parsed = fromJson(fields, inner);
      if (parsed.kind === 'json' && !parsed.lambdaRequestId) parsed.lambdaRequestId = id;
      return parsed;
    }
    return { kind: 'text', level, text: inner, lambdaRequestId: id };
  }
  return { kind: 'text', text };
}

function fromJson(fields: Record<string, unknown>, text: string): ParsedLine {
  const lambdaRequestId = str(fields.function_request_id);
  if (isEmf(fields)) return { kind: 'metrics', text, metrics: fields, lambdaRequestId };
  return {
    kind: 'json',
    level: toLevel(fields.level),
    text: str(fields.message) ?? '',
    fields,
    apiRequestId: str(fields.requestId) ?? str(fields['x-request-id']),
    lambdaRequestId,
  };
}

function isEmf(fields: Record<string, unknown>): boolean {
  const aws = fields._aws as { CloudWatchMetrics?: unknown } | undefined;
  return typeof aws === 'object' && aws !== null && Array.isArray(aws.CloudWatchMetrics);
}

/** Metric names and values of an EMF record, e.g. `{ TodosCreated: 1 }`. */
export function emfValues(fields: Record<string, unknown>): Record<string, unknown> {
  const aws = fields._aws as { CloudWatchMetrics: Array<{ Metrics?: Array<{ Name: string }> }> };
  const out: Record<string, unknown> = {};
  for (const directive of aws.CloudWatchMetrics) {
    for (const metric of directive.Metrics ?? []) out[metric.Name] = fields[metric.Name];
  }
  return out;
}

function parseReport(text: string): ReportStats {
  const num = (label: string): number | undefined => {
    const match = new RegExp(`${label}: ([\\d.]+)`).exec(text);
    return match ? Number(match[1]) : undefined;
  };
  return {
    durationMs: num('Duration') ?? 0,
    billedDurationMs: num('Billed Duration') ?? 0,
    memorySizeMb: num('Memory Size') ?? 0,
    maxMemoryUsedMb: num('Max Memory Used') ?? 0,
    initDurationMs: num('Init Duration'),
  };
}

export function toLevel(value: unknown): Level | undefined {
  if (typeof value !== 'string') return undefined;
  const upper = value.toUpperCase();
  if (upper === 'WARNING') return 'WARN';
  if (upper === 'FATAL') return 'CRITICAL';
  return upper in LEVEL_ORDER ? (upper as Level) : undefined;
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Sorts by time, keeping each stream's own order for equal timestamps (stable sort). */
export function byTime(a: LogEvent, b: LogEvent): number {
  return a.timestamp - b.timestamp;
}
