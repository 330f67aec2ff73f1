import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../../topology/environment';

/** Business and health numbers, published as CloudWatch embedded metric format (EMF) log lines. */

export type CountMetric = 'TodosCreated' | 'LoginsFailed' | 'ReplicationApplied' | 'ReplicationSkipped' | 'ReplicationFailed';

/** One Metrics buffer per function; `instrument()` publishes it after every invocation. */
export function createMetrics(serviceName: string, namespace: string = METRICS_NAMESPACE): Metrics {
  return new Metrics({ namespace, serviceName });
}

export function countMetric(metrics: Metrics, name: CountMetric, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/** How long a change took from the owner's write to the replica: the stream record's creation time to now. */
export function replicationLag(metrics: Metrics, lagMs: number): void {
  metrics.addMetric('ReplicationLagMs', MetricUnit.Milliseconds, Math.max(0, Math.round(lagMs)));
}

/** One replicated change's outcome, as the replicator's per-record handler sees it. */
export function replicationOutcome(metrics: Metrics, outcome: 'applied' | 'tombstoned' | 'skipped' | 'failed', lagMs?: number): void {
  if (outcome === 'failed') return countMetric(metrics, 'ReplicationFailed');
  countMetric(metrics, outcome === 'skipped' ? 'ReplicationSkipped' : 'ReplicationApplied');
  if (outcome !== 'skipped' && lagMs !== undefined) replicationLag(metrics, lagMs);
}
