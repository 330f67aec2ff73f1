import type { FunctionErrorPayload } from './worker-protocol';

/** What the function pool reports: invocation failures, and the events the log writers listen to. */

export type InvocationErrorCode = 'FunctionError' | 'FunctionInitError' | 'FunctionCrashed' | 'FunctionTimeout' | 'Throttled' | 'PoolStopped' | 'UnknownFunction';

export class InvocationError extends Error {
  override name = 'InvocationError';
  /** The version the alias routed the failed invocation to (set by the pool). */
  executedVersion?: string;
  constructor(readonly code: InvocationErrorCode, message: string, readonly functionError?: FunctionErrorPayload) {
    super(message);
  }
}

/** One stdout/stderr line of an instance, without the newline. */
export interface LogLineEvent {
  function: string;
  /** The function version whose instance wrote the line. */
  version: string;
  workerId: string;
  logStream: string;
  line: string;
  /** Epoch ms when the pool read the line. */
  timestamp: number;
  stream: 'stdout' | 'stderr';
  /** The invocation running on that instance when the line arrived, if any. */
  awsRequestId?: string;
}

/** Around every invocation; `end` carries Lambda's REPORT numbers. */
export interface InvocationEvent {
  phase: 'start' | 'end';
  function: string;
  /** The version that ran the invocation (Lambda's `ExecutedVersion`). */
  version: string;
  workerId: string;
  logStream: string;
  awsRequestId: string;
  durationMs?: number;
  billedDurationMs?: number;
  maxMemoryUsedMb?: number;
  /** Only on the first invocation of an instance (its cold start). */
  initDurationMs?: number;
  /** `errorType` as Lambda reports it: the handler's error name, `Runtime.ExitError`, `Sandbox.Timedout`… */
  error?: { code: InvocationErrorCode; errorType: string; errorMessage: string };
}
/**
 * How one invocation of an alias or version settled, whether or not it reached an instance (an init
 * failure never does): what Lambda's per-version metrics count (Invocations, Errors, Duration).
 */
export interface InvocationResult {
  function: string;
  version: string;
  /** Epoch ms when it settled. */
  at: number;
  /** The handler's run time, when an instance ran it. */
  durationMs?: number;
  error?: InvocationErrorCode;
}
/** Spans an instance's telemetry extension forwarded (see SpansMessage). */
export interface SpansEvent {
  function: string;
  upstream: string;
  body: string;
}

export type PoolEvents = { log: [LogLineEvent]; invocation: [InvocationEvent]; result: [InvocationResult]; spans: [SpansEvent] };

/** What the log writers (local/logs/) need of the pool: its events, not the class. */
export interface PoolEventSource {
  on<E extends keyof PoolEvents>(event: E, listener: (...args: PoolEvents[E]) => void): unknown;
  off<E extends keyof PoolEvents>(event: E, listener: (...args: PoolEvents[E]) => void): unknown;
}

/** The error type Lambda would report for a failed invocation. */
export function lambdaErrorType(error: InvocationError): string {
  if (error.functionError) return error.functionError.errorType;
  if (error.code === 'FunctionTimeout') return 'Sandbox.Timedout';
  if (error.code === 'FunctionCrashed') return 'Runtime.ExitError';
  return error.code;
}
