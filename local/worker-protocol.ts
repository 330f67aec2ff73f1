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
 * Every worker message carries a `sync` number, and the worker writes the line `SYNC_MARK + sync` to
 * stdout and stderr just before sending it. The pool handles a message only once both marks arrived,
 * so every log line an invocation wrote is emitted before its `end` event, although pipes and the IPC
 * channel are read independently.
 */
export type WorkerMessage =
  | { type: 'ready'; sync: number; initDurationMs: number }
  | { type: 'init-error'; sync: number; error: FunctionErrorPayload }
  | { type: 'result'; sync: number; id: string; result: unknown; maxMemoryUsedMb: number }
  | { type: 'error'; sync: number; id: string; error: FunctionErrorPayload; maxMemoryUsedMb: number };

export const SYNC_MARK = '\u0000noops-sync:';

export function toErrorPayload(err: unknown): FunctionErrorPayload {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, ...(err.stack ? { stack: err.stack.split('\n') } : {}) };
  }
  return { errorType: typeof err, errorMessage: String(err) };
}
