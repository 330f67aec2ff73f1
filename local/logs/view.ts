import { parseLine } from './log-event';
import { formatEvent, shouldColor, type FormatOptions } from './format';
import { functions } from '../../topology';
import type { InvocationEvent, LogLineEvent, PoolEventSource } from '../lambda/invocation';
import { reportLine } from './platform-lines';

export interface LogViewOptions {
  stream: { write(text: string): unknown; isTTY?: boolean };
  /** Defaults to a terminal without NO_COLOR. */
  color?: boolean;
  /** Lifecycle lines: `errors` (failed invocations and cold starts, the default), `all` (every REPORT) or `none`. */
  lifecycle?: 'errors' | 'all' | 'none';
  env?: NodeJS.ProcessEnv;
}

/**
 * The live view `npm start` prints: one readable line per log line of every function (time,
 * function, level, message, fields, request ids), not raw JSON. Returns a detach function.
 */
export function attachLogView(pool: PoolEventSource, options: LogViewOptions): () => void {
  const format: FormatOptions = {
    color: options.color ?? shouldColor(options.stream, options.env ?? process.env),
    clock: 'time',
    functionWidth: 10,
    maxValueLength: 160,
  };
  const lifecycle = options.lifecycle ?? 'errors';
  const print = (fn: string, logStream: string, message: string, timestamp: number) =>
    options.stream.write(`${formatEvent({ timestamp, message, function: fn, logStream }, parseLine(message), format)}\n`);

  // `rule:2`, Lambda's notation for a qualified function, when the pool says which version it was.
  const label = (e: { function: string; version?: string }) => (e.version ? `${e.function}:${e.version}` : e.function);
  const onLog = (e: LogLineEvent) => print(label(e), e.logStream, e.line, e.timestamp);
  const onInvocation = (e: InvocationEvent) => {
    if (e.phase !== 'end' || lifecycle === 'none') return;
    const failed = e.error !== undefined && e.error !== null;
    if (failed) {
      const err = e.error as { errorType?: string; errorMessage?: string };
      const text = `invocation failed: ${err.errorType ?? 'Error'}: ${err.errorMessage ?? ''}`;
      print(label(e), e.logStream, JSON.stringify({ level: 'ERROR', message: text, function_request_id: e.awsRequestId }), Date.now());
    }
    if (lifecycle === 'all' || e.initDurationMs !== undefined) {
      const memory = functions.find((f) => f.name === e.function)?.memoryMb ?? 128;
      print(label(e), e.logStream, reportLine(e, memory), Date.now());
    }
  };
  pool.on('log', onLog);
  pool.on('invocation', onInvocation);
  return () => {
    pool.off('log', onLog);
    pool.off('invocation', onInvocation);
  };
}

/** What the gateway reports per request (local/gateway's RequestInfo, structurally). */
export interface GatewayRequest { requestId: string; method: string; path: string; function?: string; version?: string; statusCode: number; durationMs: number; at: number }

/**
 * The gateway's line for one request in the live view: route, status, latency and the function
 * version that answered, so a rehearsal shows both versions serving side by side.
 */
export function requestLine(r: GatewayRequest): string {
  const target = r.function ? ` → ${r.function}${r.version ? `:${r.version}` : ''}` : '';
  return JSON.stringify({ level: r.statusCode >= 500 ? 'ERROR' : 'INFO', message: `${r.method} ${r.path} ${r.statusCode}${target}`, latencyMs: Math.round(r.durationMs), requestId: r.requestId });
}

export function printRequest(r: GatewayRequest, options: LogViewOptions): void {
  const color = options.color ?? shouldColor(options.stream, options.env ?? process.env);
  options.stream.write(`${formatEvent({ timestamp: r.at, message: requestLine(r), function: 'gateway', logStream: '' }, parseLine(requestLine(r)), { color, clock: 'time', functionWidth: 12, maxValueLength: 160 })}\n`);
}
