import { firstFailedIndex, type FailureCondition } from './kinesis-event';
import type { EsmSettings } from './esm-settings';

/**
 * What Lambda's Kinesis event source mapping does after an invocation, as pure functions of the result,
 * the attempts so far and the settings. The rules, from "Retaining discarded batch records for a Kinesis
 * Data Streams event source in Lambda" (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html)
 * and "Configuring partial batch response with Kinesis Data Streams and Lambda"
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html):
 * - a function error is retried until the record expires (MaximumRecordAgeInSeconds) or the retries
 *   (MaximumRetryAttempts) run out; then the batch's description goes to the on-failure destination and
 *   the shard moves on;
 * - with BisectBatchOnFunctionError a failed batch is split in two first, and splitting does not count
 *   against the retry quota;
 * - with ReportBatchItemFailures the batch is checkpointed up to the lowest failed sequence number and
 *   retried from there; an empty or missing `batchItemFailures` is a success, and an identifier that is
 *   not in the batch fails the whole batch;
 * - a batch the mapping could not deliver ("unable to invoke the function due to throttling or other
 *   issues", first page above) is retried until its records expire (MaximumRecordAgeInSeconds): it
 *   spends no retry attempt, and is not bisected (bisection is for function errors).
 */

/** One invocation's result: every record done, done up to `from` (exclusive), or failed as a whole. */
export type InvocationResult =
  | { kind: 'ok' }
  | { kind: 'partial'; from: number }
  | { kind: 'error'; message: string }
  /** The function was not invoked (throttled): no attempt spent. */
  | { kind: 'not-invoked'; message: string };

/** The next step for a batch after an invocation. Every step but `checkpoint` keeps `batch[from..]` pending and
 * first checkpoints `batch[from - 1]` when `from > 0`. */
export type Decision =
  | { action: 'checkpoint' }
  | { action: 'bisect'; from: number; half: number }
  | { action: 'retry'; from: number; retries: number; backoffMs: number }
  /** Deliver the same batch again after `backoffMs`, as the `waits`-th wait in a row. */
  | { action: 'wait'; waits: number; backoffMs: number }
  | { action: 'discard'; from: number; condition: FailureCondition };

/** The longest wait before a retry. */
export const MAX_BACKOFF_MS = 1_000;

/** Reads a function's response: `batchItemFailures` names the records to retry. */
export function invocationResult(sequenceNumbers: ReadonlyArray<{ SequenceNumber?: string }>, response: unknown): InvocationResult {
  const from = firstFailedIndex(sequenceNumbers, response);
  if (from === undefined) return { kind: 'error', message: 'invalid batchItemFailures in the function response' };
  return from < 0 ? { kind: 'ok' } : { kind: 'partial', from };
}

/**
 * What to do with a batch of `size` records after `result`, `retries` retries having been spent on it
 * and `waits` deliveries in a row not having reached the function.
 */
export function decide(
  result: InvocationResult,
  size: number,
  retries: number,
  settings: Pick<EsmSettings, 'bisectBatchOnFunctionError' | 'maximumRetryAttempts'>,
  waits = 0,
): Decision {
  if (result.kind === 'ok') return { action: 'checkpoint' };
  if (result.kind === 'not-invoked') return { action: 'wait', waits: waits + 1, backoffMs: backoff(waits + 1) };
  const from = result.kind === 'partial' ? result.from : 0;
  const pending = size - from;
  if (settings.bisectBatchOnFunctionError && pending > 1) return { action: 'bisect', from, half: Math.ceil(pending / 2) };
  const spent = retries + 1;
  if (settings.maximumRetryAttempts >= 0 && spent > settings.maximumRetryAttempts) return { action: 'discard', from, condition: 'RetryAttemptsExhausted' };
  return { action: 'retry', from, retries: spent, backoffMs: backoff(spent) };
}

/** The wait before the n-th retry or wait in a row: 40, 80, 160 … ms, at most MAX_BACKOFF_MS. */
const backoff = (n: number) => Math.min(MAX_BACKOFF_MS, 20 * 2 ** n);

/**
 * How many records at the head of a batch are older than MaximumRecordAgeInSeconds at `now` (they go to
 * the on-failure destination without an invocation); -1 means no age limit.
 */
export function expiredPrefix(arrivals: ReadonlyArray<Date | undefined>, maximumRecordAgeSeconds: number, now: number): number {
  if (maximumRecordAgeSeconds < 0) return 0;
  const oldest = now - maximumRecordAgeSeconds * 1000;
  let n = 0;
  while (n < arrivals.length && (arrivals[n]?.getTime() ?? Infinity) < oldest) n++;
  return n;
}
