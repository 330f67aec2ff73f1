import { describe, expect, it } from 'vitest';
import { decide, expiredPrefix, invocationResult, MAX_BACKOFF_MS } from '../../../../local/kinesis/esm-decision';

const records = [{ SequenceNumber: '100' }, { SequenceNumber: '200' }, { SequenceNumber: '300' }, { SequenceNumber: '400' }];
const failures = (...ids: string[]) => ({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) });
const noBisect = { bisectBatchOnFunctionError: false, maximumRetryAttempts: 2 };
const bisect = { bisectBatchOnFunctionError: true, maximumRetryAttempts: 2 };

describe('invocationResult', () => {
  it('reads no, empty or null batchItemFailures as a success', () => {
    expect(invocationResult(records, undefined)).toEqual({ kind: 'ok' });
    expect(invocationResult(records, { batchItemFailures: [] })).toEqual({ kind: 'ok' });
    expect(invocationResult(records, { batchItemFailures: null })).toEqual({ kind: 'ok' });
  });

  it('resumes from the lowest failed sequence number, whatever the order reported', () => {
    expect(invocationResult(records, failures('400', '200'))).toEqual({ kind: 'partial', from: 1 });
  });

  it('fails the whole batch on an identifier that is empty or not in the batch', () => {
    expect(invocationResult(records, failures('999')).kind).toBe('error');
    expect(invocationResult(records, failures('')).kind).toBe('error');
    expect(invocationResult(records, { batchItemFailures: 'all' }).kind).toBe('error');
  });
});

describe('decide', () => {
  it('checkpoints the whole batch after a success', () => {
    expect(decide({ kind: 'ok' }, 4, 0, bisect)).toEqual({ action: 'checkpoint' });
  });

  it('bisects a failed batch without spending a retry', () => {
    expect(decide({ kind: 'error', message: 'boom' }, 4, 0, bisect)).toEqual({ action: 'bisect', from: 0, half: 2 });
    expect(decide({ kind: 'error', message: 'boom' }, 5, 2, bisect)).toEqual({ action: 'bisect', from: 0, half: 3 });
  });

  it('bisects only what is left after a partial failure, keeping the records before it done', () => {
    expect(decide({ kind: 'partial', from: 1 }, 4, 0, bisect)).toEqual({ action: 'bisect', from: 1, half: 2 });
  });

  it('retries a single record (nothing left to split) and without bisecting, with a growing, capped backoff', () => {
    expect(decide({ kind: 'error', message: 'boom' }, 1, 0, bisect)).toEqual({ action: 'retry', from: 0, retries: 1, backoffMs: 40 });
    expect(decide({ kind: 'partial', from: 2 }, 4, 1, noBisect)).toEqual({ action: 'retry', from: 2, retries: 2, backoffMs: 80 });
    const forever = { bisectBatchOnFunctionError: false, maximumRetryAttempts: -1 };
    expect(decide({ kind: 'error', message: 'boom' }, 4, 50, forever)).toEqual({ action: 'retry', from: 0, retries: 51, backoffMs: MAX_BACKOFF_MS });
  });

  it('sends the rest to the on-failure destination once the retries are spent', () => {
    expect(decide({ kind: 'error', message: 'boom' }, 4, 2, noBisect)).toEqual({ action: 'discard', from: 0, condition: 'RetryAttemptsExhausted' });
    expect(decide({ kind: 'partial', from: 3 }, 4, 2, bisect)).toEqual({ action: 'discard', from: 3, condition: 'RetryAttemptsExhausted' });
  });

  it('with no retries allowed, discards after the first failure', () => {
    expect(decide({ kind: 'error', message: 'boom' }, 1, 0, { bisectBatchOnFunctionError: false, maximumRetryAttempts: 0 })).toEqual({
      action: 'discard',
      from: 0,
      condition: 'RetryAttemptsExhausted',
    });
  });
});

describe('decide, when the function was not invoked (throttled)', () => {
  const throttled = { kind: 'not-invoked', message: 'rule has 4 busy instances' } as const;

  it('waits and delivers the same batch again, spending no retry attempt and not bisecting', () => {
    expect(decide(throttled, 4, 0, bisect)).toEqual({ action: 'wait', waits: 1, backoffMs: 40 });
    expect(decide(throttled, 4, 2, noBisect)).toEqual({ action: 'wait', waits: 1, backoffMs: 40 });
  });

  it('never sends the batch to the on-failure destination for it, even with no retries allowed', () => {
    expect(decide(throttled, 1, 0, { bisectBatchOnFunctionError: false, maximumRetryAttempts: 0 }).action).toBe('wait');
  });

  it('backs off longer with each wait in a row, capped', () => {
    expect(decide(throttled, 4, 0, noBisect, 1)).toEqual({ action: 'wait', waits: 2, backoffMs: 80 });
    expect(decide(throttled, 4, 0, noBisect, 30)).toEqual({ action: 'wait', waits: 31, backoffMs: MAX_BACKOFF_MS });
  });
});

describe('expiredPrefix', () => {
  const now = Date.parse('2026-03-10T12:00:00Z');
  const ago = (s: number) => new Date(now - s * 1000);

  it('counts the records at the head older than the maximum age', () => {
    expect(expiredPrefix([ago(120), ago(90), ago(30), ago(100)], 60, now)).toBe(2);
  });

  it('expires nothing without an age limit, or without an arrival time', () => {
    expect(expiredPrefix([ago(10_000)], -1, now)).toBe(0);
    expect(expiredPrefix([undefined, ago(120)], 60, now)).toBe(0);
  });
});
