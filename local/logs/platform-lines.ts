import type { InvocationEvent } from '../lambda/invocation';

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

export function reportLine(invocation: InvocationEvent, memorySizeMb: number): string {
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
