/**
 * The function pool's observable events (local/lambda/index.ts emits them) as the log writers see
 * them. Typed structurally so the writers depend on the events, not on the pool class.
 */
export interface PoolLogLine {
  function: string;
  /** The version whose instance wrote it. */
  version?: string;
  workerId: string;
  logStream: string;
  /** One stdout/stderr line of the worker, without the newline. */
  line: string;
  timestamp: number;
}

export interface PoolInvocation {
  phase: 'start' | 'end';
  function: string;
  /** The version that ran it (absent: `$LATEST`). */
  version?: string;
  workerId: string;
  logStream: string;
  awsRequestId: string;
  durationMs?: number;
  billedDurationMs?: number;
  maxMemoryUsedMb?: number;
  /** Only on a cold start's end. */
  initDurationMs?: number;
  error?: { errorType?: string; errorMessage?: string } | unknown;
}

export interface PoolEvents {
  on(event: 'log', listener: (line: PoolLogLine) => void): unknown;
  on(event: 'invocation', listener: (invocation: PoolInvocation) => void): unknown;
  off(event: 'log', listener: (line: PoolLogLine) => void): unknown;
  off(event: 'invocation', listener: (invocation: PoolInvocation) => void): unknown;
}

/** Lambda names streams `YYYY/MM/DD/[$LATEST]<instance id>`; used when the pool gives none. */
export function defaultLogStream(workerId: string, at: number = Date.now()): string {
  return `${new Date(at).toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${workerId}`;
}

/**
 * Lambda's own lines around an invocation, in its exact wording (tab-separated REPORT fields). The
 * version that ran it is in START (`Version: 3`) and in the stream's name; REPORT has no version field.
 */
export function startLine(requestId: string, version = '$LATEST'): string {
  return `START RequestId: ${requestId} Version: ${version}`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

export function reportLine(invocation: PoolInvocation, memorySizeMb: number): string {
  const duration = invocation.durationMs ?? 0;
  const fields = [
    `REPORT RequestId: ${invocation.awsRequestId}`,
    `Duration: ${duration.toFixed(2)} ms`,
    `Billed Duration: ${invocation.billedDurationMs ?? Math.max(1, Math.ceil(duration))} ms`,
    `Memory Size: ${memorySizeMb} MB`,
    `Max Memory Used: ${invocation.maxMemoryUsedMb ?? 0} MB`,
  ];
  if (invocation.initDurationMs !== undefined) fields.push(`Init Duration: ${invocation.initDurationMs.toFixed(2)} ms`);
  // Lambda marks only platform failures in REPORT; a handler's own error is logged, not reported here.
  const errorType = (invocation.error as { errorType?: string } | undefined)?.errorType;
  if (errorType === 'Sandbox.Timedout') fields.push('Status: timeout');
  else if (errorType?.startsWith('Runtime.')) fields.push('Status: error', `Error Type: ${errorType}`);
  return `${fields.join('\t')}\t`;
}
