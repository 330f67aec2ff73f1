import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ROLLOUT_ALARMS } from '../../topology/release';

/** Lambda reports IteratorAge in ms: a minute behind means replicas visibly lag their sources. */
const ITERATOR_AGE_THRESHOLD_MS = 60_000;

interface AlarmSpec {
  id: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  statistic: 'Sum' | 'Maximum';
  threshold: number;
  periodSeconds: number;
  evaluationPeriods: number;
}

/**
 * The alarms that say "something is wrong" (function errors and throttles, replication falling
 * behind or giving up, API 5xx), an SNS topic they notify (with an optional e-mail subscription) and a
 * dashboard of the same metrics.
 */
export class Alarms extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** By spec id (`api-5xx`, `replication-lag`, …): the rollout's deployment groups stop on some of them. */
  readonly byId: Record<string, aws.cloudwatch.MetricAlarm>;
  readonly dashboard: aws.cloudwatch.Dashboard;

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:observability:Alarms', name, {}, opts);
    const specs = alarmSpecs(args);

    this.topic = createTopic(this);
    if (args.email) createSubscription(this, args.email);
    this.alarms = specs.map((spec) => createAlarm(this, spec));
    this.byId = Object.fromEntries(specs.map((spec, i) => [spec.id, this.alarms[i]!]));
    this.dashboard = createDashboard(this);
    this.registerOutputs({ topicArn: this.topic.arn, dashboardName: this.dashboard.dashboardName });

    function createTopic(parent: Alarms) {
      return new aws.sns.Topic(`${name}-topic`, { name: `${args.physicalName}-alarms` }, { parent });
    }

    function createSubscription(parent: Alarms, email: string) {
      // AWS e-mails a confirmation link; nothing is delivered until the recipient clicks it.
      return new aws.sns.TopicSubscription(`${name}-email`, { topic: parent.topic.arn, protocol: 'email', endpoint: email }, { parent });
    }

    function createAlarm(parent: Alarms, spec: AlarmSpec) {
      return new aws.cloudwatch.MetricAlarm(`${name}-${spec.id}`, {
        name: `${args.physicalName}-${spec.id}`,
        alarmDescription: spec.description,
        namespace: spec.namespace,
        metricName: spec.metricName,
        dimensions: spec.dimensions,
        statistic: spec.statistic,
        period: spec.periodSeconds,
        evaluationPeriods: spec.evaluationPeriods,
        threshold: spec.threshold,
        comparisonOperator: 'GreaterThanThreshold',
        // No traffic is not an outage.
        treatMissingData: 'notBreaching',
        alarmActions: [parent.topic.arn],
        okActions: [parent.topic.arn],
      }, { parent });
    }

    function createDashboard(parent: Alarms) {
      const widgets = specs.map((spec, i) => ({
        type: 'metric',
        x: (i % 3) * 8,
        y: Math.floor(i / 3) * 6,
        width: 8,
        height: 6,
        properties: {
          title: spec.description,
          region: args.region,
          stat: spec.statistic,
          period: spec.periodSeconds,
          metrics: [[spec.namespace, spec.metricName, ...Object.entries(spec.dimensions).flat()]],
          annotations: { horizontal: [{ value: spec.threshold, label: 'alarm' }] },
        },
      }));
      return new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
        dashboardName: args.physicalName,
        dashboardBody: pulumi.jsonStringify({ widgets }),
      }, { parent });
    }
  }
}

/** One list drives both the alarms and the dashboard, so they cannot drift apart. */
function alarmSpecs(args: AlarmsArgs): AlarmSpec[] {
  const perFunction = Object.entries(args.functionNames).flatMap(([fn, functionName]): AlarmSpec[] => [
    { id: `${fn}-errors`, description: `${fn}: invocation errors`, namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: functionName }, statistic: 'Sum', threshold: 0, periodSeconds: 300, evaluationPeriods: 1 },
    { id: `${fn}-throttles`, description: `${fn}: throttled invocations`, namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: functionName }, statistic: 'Sum', threshold: 0, periodSeconds: 300, evaluationPeriods: 1 },
  ]);
  return [
    ...perFunction,
    { id: 'replication-lag', description: 'replicator: change stream iterator age (ms)', namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensions: { FunctionName: args.replicatorFunctionName }, statistic: 'Maximum', threshold: ITERATOR_AGE_THRESHOLD_MS, periodSeconds: 60, evaluationPeriods: 5 },
    { id: 'replication-failures', description: 'replicator: batches given up (on-failure queue depth)', namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: args.failureQueueName }, statistic: 'Maximum', threshold: 0, periodSeconds: 300, evaluationPeriods: 1 },
    // HTTP APIs publish lower-case `5xx` under the ApiId dimension (REST APIs use `5XXError`/ApiName).
    { id: 'api-5xx', description: 'API: 5xx responses', namespace: 'AWS/ApiGateway', metricName: '5xx', dimensions: { ApiId: args.apiId }, statistic: 'Sum', threshold: ROLLOUT_ALARMS.api5xx.threshold, periodSeconds: ROLLOUT_ALARMS.api5xx.periodSeconds, evaluationPeriods: 1 },
  ];
}

export interface AlarmsArgs {
  /** e.g. `noops-todo-dev`. */
  physicalName: string;
  region: pulumi.Input<string>;
  /** Logical → physical function names. */
  functionNames: Record<string, pulumi.Input<string>>;
  replicatorFunctionName: pulumi.Input<string>;
  failureQueueName: pulumi.Input<string>;
  apiId: pulumi.Input<string>;
  /** Subscribed to the alarm topic when set. */
  email?: string;
}
