/** Messages between the function pool and a worker process (over the fork IPC channel). */

export interface InvokeMessage {
  type: 'invoke';
  id: string;
  event: unknown;
  /** Epoch ms after which the invocation has timed out (for getRemainingTimeInMillis). */
  deadlineMs: number;
  /** X-Ray trace header Lambda puts in `_X_AMZN_TRACE_ID` for this invocation. */
  traceId?: string;
}

export interface FunctionErrorPayload {
  errorType: string;
  errorMessage: string;
  stack?: string[];
}

/**
 * How far each output pipe must have been read before the log events of a message can be placed: the
 * number of the last SYNC_MARK line the worker wrote to that stream (0: none yet). The worker writes a
 * mark only to a stream written to since its previous mark, and only after sending the message, so a
 * result never waits for a pipe; the pool answers at once and orders only the log events (an
 * invocation's `end` comes after every line it wrote, and before the next invocation's lines).
 */
export interface OutputMarks {
  stdout: number;
  stderr: number;
}

export type WorkerMessage =
  | { type: 'ready'; marks: OutputMarks; initDurationMs: number }
  | { type: 'init-error'; marks: OutputMarks; error: FunctionErrorPayload }
  | { type: 'result'; marks: OutputMarks; id: string; result: unknown; maxMemoryUsedMb: number; spans?: Omit<SpansMessage, 'type'> }
  | { type: 'error'; marks: OutputMarks; id: string; error: FunctionErrorPayload; maxMemoryUsedMb: number; spans?: Omit<SpansMessage, 'type'> };

/**
 * Spans the instance's telemetry extension forwards, over the IPC channel rather than HTTP: the runtime
 * ingests them in-process when `upstream` is its own collector, and posts them on to any other OTLP
 * endpoint. Outside log order (no marks): spans are not log lines.
 */
export interface SpansMessage {
  type: 'spans';
  /** The OTLP endpoint the function's environment named (where the spans are meant to go). */
  upstream: string;
  /** An OTLP/HTTP JSON `ExportTraceServiceRequest`. */
  body: string;
}

export const SYNC_MARK = '\u0000noops-sync:';

export function toErrorPayload(err: unknown): FunctionErrorPayload {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, ...(err.stack ? { stack: err.stack.split('\n') } : {}) };
  }
  return { errorType: typeof err, errorMessage: String(err) };
}
