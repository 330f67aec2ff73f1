import { durationThresholdMs, ROLLOUT_ALARMS } from '../../topology/release';
import type { MetricSample } from './metrics';

/**
 * CloudWatch alarms over the local runtime's own samples, with the rules infra/ gives the real ones
 * (topology/release.ts ROLLOUT_ALARMS): the statistic over the last period compared
 * `GreaterThanThreshold`, missing data not breaching. The period slides with `now` instead of
 * CloudWatch's fixed minute boundaries, so a compressed rehearsal notices a failure at once. Pure.
 */
export type LocalAlarm =
  | { name: string; metric: 'Errors'; function: string; version: string; periodMs: number; threshold: number }
  | { name: string; metric: 'Duration'; function: string; version: string; periodMs: number; thresholdMs: number }
  | { name: string; metric: '5xx'; periodMs: number; threshold: number };

/**
 * What Lambda counts in `Errors`: "exceptions that your code throws and exceptions that the Lambda
 * runtime throws ... for issues such as timeouts and configuration errors"; throttles are counted
 * apart ("Types of metrics for Lambda functions", https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html).
 */
const FUNCTION_ERRORS = new Set(['FunctionError', 'FunctionInitError', 'FunctionCrashed', 'FunctionTimeout']);

export function alarmState(alarm: LocalAlarm, samples: readonly MetricSample[], now: number): 'OK' | 'ALARM' {
  const inWindow = samples.filter((s) => s.at > now - alarm.periodMs && s.at <= now);
  if (alarm.metric === '5xx') {
    const count = inWindow.filter((s) => s.kind === 'request' && s.statusCode >= 500).length;
    return count > alarm.threshold ? 'ALARM' : 'OK';
  }
  const runs = inWindow.filter((s): s is Extract<MetricSample, { kind: 'invocation' }> => s.kind === 'invocation' && s.function === alarm.function && s.version === alarm.version);
  if (alarm.metric === 'Errors') return runs.filter((s) => s.error !== undefined && FUNCTION_ERRORS.has(s.error)).length > alarm.threshold ? 'ALARM' : 'OK';
  const durations = runs.flatMap((s) => (s.durationMs === undefined ? [] : [s.durationMs]));
  return durations.length > 0 && p99(durations) > alarm.thresholdMs ? 'ALARM' : 'OK';
}

/** Nearest-rank 99th percentile. */
export function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)]!;
}

/**
 * The alarms a rollout of `function` to `version` stops on, named as infra/ names them
 * (`<prefix>-<fn>-version-errors`, `…-version-duration`, `<prefix>-api-5xx`), periods divided by `speed`.
 */
export function rolloutAlarms(input: { prefix: string; function: string; version: string; timeoutSeconds: number; speed: number }): LocalAlarm[] {
  const rules = ROLLOUT_ALARMS;
  const period = (seconds: number) => (seconds * 1000) / input.speed;
  return [
    { name: `${input.prefix}-${input.function}-version-errors`, metric: 'Errors', function: input.function, version: input.version, periodMs: period(rules.versionErrors.periodSeconds), threshold: rules.versionErrors.threshold },
    { name: `${input.prefix}-${input.function}-version-duration`, metric: 'Duration', function: input.function, version: input.version, periodMs: period(rules.versionDuration.periodSeconds), thresholdMs: durationThresholdMs(input.timeoutSeconds) },
    { name: `${input.prefix}-api-5xx`, metric: '5xx', periodMs: period(rules.api5xx.periodSeconds), threshold: rules.api5xx.threshold },
  ];
}
