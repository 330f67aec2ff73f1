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

  const onLog = (e: LogLineEvent) => print(e.function, e.logStream, e.line, e.timestamp);
  const onInvocation = (e: InvocationEvent) => {
    if (e.phase !== 'end' || lifecycle === 'none') return;
    const failed = e.error !== undefined && e.error !== null;
    if (failed) {
      const err = e.error as { errorType?: string; errorMessage?: string };
      const text = `invocation failed: ${err.errorType ?? 'Error'}: ${err.errorMessage ?? ''}`;
      print(e.function, e.logStream, JSON.stringify({ level: 'ERROR', message: text, function_request_id: e.awsRequestId }), Date.now());
    }
    if (lifecycle === 'all' || e.initDurationMs !== undefined) {
      const memory = functions.find((f) => f.name === e.function)?.memoryMb ?? 128;
      print(e.function, e.logStream, reportLine(e, memory), Date.now());
    }
  };
  pool.on('log', onLog);
  pool.on('invocation', onInvocation);
  return () => {
    pool.off('log', onLog);
    pool.off('invocation', onInvocation);
  };
}
