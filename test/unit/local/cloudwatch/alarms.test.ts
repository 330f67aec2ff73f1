import { describe, expect, it } from 'vitest';
import { alarmState, p99, rolloutAlarms, type LocalAlarm } from '../../../../local/cloudwatch/alarms';
import { MetricLog, type MetricSample } from '../../../../local/cloudwatch/metrics';

const NOW = 1_000_000;
let seq = 0;
const run = (at: number, extra: Partial<Extract<MetricSample, { kind: 'invocation' }>> = {}): MetricSample => ({ kind: 'invocation', seq: ++seq, at, function: 'rule', version: '2', durationMs: 20, ...extra });
const request = (at: number, statusCode: number): MetricSample => ({ kind: 'request', seq: ++seq, at, statusCode });

describe('local rollout alarms', () => {
  const [errors, duration, api5xx] = rolloutAlarms({ prefix: 'noops-todo-local', function: 'rule', version: '2', timeoutSeconds: 10, speed: 60 }) as [LocalAlarm, LocalAlarm, LocalAlarm];

  it('take the infra thresholds and names, with periods divided by the speed', () => {
    expect(errors).toEqual({ name: 'noops-todo-local-rule-version-errors', metric: 'Errors', function: 'rule', version: '2', periodMs: 1_000, threshold: 0 });
    expect(duration).toMatchObject({ name: 'noops-todo-local-rule-version-duration', metric: 'Duration', periodMs: 1_000, thresholdMs: 8_000 });
    expect(api5xx).toMatchObject({ name: 'noops-todo-local-api-5xx', metric: '5xx', periodMs: 5_000, threshold: 0 });
  });

  it('fire on one function error of the version being released, inside the sliding period only', () => {
    expect(alarmState(errors, [run(NOW - 10)], NOW)).toBe('OK');
    expect(alarmState(errors, [run(NOW - 10, { error: 'FunctionError' })], NOW)).toBe('ALARM');
    expect(alarmState(errors, [run(NOW - 10, { error: 'FunctionInitError', durationMs: undefined })], NOW)).toBe('ALARM');
    // Older than the period, another version, another function, or a throttle (not an Error to Lambda): quiet.
    expect(alarmState(errors, [run(NOW - 1_000, { error: 'FunctionError' })], NOW)).toBe('OK');
    expect(alarmState(errors, [run(NOW - 10, { error: 'FunctionError', version: '1' })], NOW)).toBe('OK');
    expect(alarmState(errors, [run(NOW - 10, { error: 'FunctionError', function: 'user' })], NOW)).toBe('OK');
    expect(alarmState(errors, [run(NOW - 10, { error: 'Throttled' })], NOW)).toBe('OK');
  });

  it('fire when the p99 duration passes 80 % of the timeout, and treat no data as not breaching', () => {
    const fast = Array.from({ length: 99 }, (_, i) => run(NOW - 1 - i, { durationMs: 50 }));
    expect(alarmState(duration, [...fast, run(NOW - 500, { durationMs: 9_000 })], NOW)).toBe('OK');
    expect(alarmState(duration, [...fast, run(NOW - 500, { durationMs: 9_000 }), run(NOW - 400, { durationMs: 9_500 })], NOW)).toBe('ALARM');
    expect(alarmState(duration, [], NOW)).toBe('OK');
    expect(p99([1, 2, 3])).toBe(3);
  });

  it('count the API 5xx of every function and version', () => {
    expect(alarmState(api5xx, [request(NOW - 10, 401), request(NOW - 10, 404)], NOW)).toBe('OK');
    expect(alarmState(api5xx, [request(NOW - 4_000, 502)], NOW)).toBe('ALARM');
    expect(alarmState(api5xx, [request(NOW - 6_000, 502)], NOW)).toBe('OK');
  });

  it('read from a bounded log that hands out only what is new', () => {
    const log = new MetricLog(3);
    for (let i = 1; i <= 5; i++) log.record({ kind: 'request', at: i, statusCode: 200 });
    expect(log.after(0).samples.map((s) => s.at)).toEqual([3, 4, 5]);
    expect(log.after(4)).toEqual({ samples: [expect.objectContaining({ at: 5, seq: 5 })], last: 5 });
    expect(log.after(5)).toEqual({ samples: [], last: 5 });
  });
});
