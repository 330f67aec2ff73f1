import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionName, FunctionSpec } from '../../topology/index';
import { bakeMinutesOf, deploymentConfigOf, durationThresholdMs, LIVE_ALIAS, ROLLOUT_ALARMS, type DeploymentConfigName } from '../../topology/release';
import type { LambdaFunction } from './lambda-function';

/**
 * The managed policy AWS documents for CodeDeploy's Lambda deployments, in its "Limited" form: GetAlias,
 * UpdateAlias, GetProvisionedConcurrencyConfig, cloudwatch:DescribeAlarms, reading AppSpec objects under
 * `<bucket>/CodeDeploy/` and invoking `CodeDeployHook_*` functions; unlike AWSCodeDeployRoleForLambda it has no
 * sns:Publish ("AWSCodeDeployRoleForLambdaLimited", AWS Managed Policy Reference,
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForLambdaLimited.html).
 */
export const CODEDEPLOY_LAMBDA_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited';

/**
 * Gradual, self-reverting releases of every function's `live` alias: one CodeDeploy application
 * (compute platform Lambda), its service role, and per function a deployment group whose deployments
 * stop and roll back on DEPLOYMENT_FAILURE and on any of its alarms: errors and duration of the version
 * being released, plus the guard alarms it is given (the API's 5xx, replication lag and failures).
 */
export class Rollout extends pulumi.ComponentResource {
  readonly application: aws.codedeploy.Application;
  readonly role: aws.iam.Role;
  readonly groups: Record<string, aws.codedeploy.DeploymentGroup>;
  /** Per function, the alarms its deployment group stops on. */
  readonly alarmNames: Record<string, pulumi.Output<string>[]>;

  constructor(private readonly name: string, private readonly args: RolloutArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:release:Rollout', name, {}, opts);

    this.application = new aws.codedeploy.Application(`${name}-app`, { name: args.physicalName, computePlatform: 'Lambda' }, { parent: this });
    this.role = createRole(this);
    this.groups = {};
    this.alarmNames = {};
    for (const [fn, target] of Object.entries(args.functions)) {
      const alarms = [...versionAlarms(this, fn, target).map((a) => a.name), ...target.guardAlarmNames.map((n) => pulumi.output(n))];
      this.alarmNames[fn] = alarms;
      this.groups[fn] = createGroup(this, fn, target, alarms);
    }
    this.registerOutputs({ applicationName: this.application.name });

    function createRole(parent: Rollout) {
      const role = new aws.iam.Role(`${name}-role`, {
        name: `${args.physicalName}-codedeploy`,
        description: `CodeDeploy service role of ${args.physicalName}: shifts the functions' ${LIVE_ALIAS} aliases`,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'codedeploy.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }, { parent });
      new aws.iam.RolePolicyAttachment(`${name}-role-policy`, { role: role.name, policyArn: CODEDEPLOY_LAMBDA_POLICY }, { parent });
      return role;
    }

    /**
     * Alarms on the version being released only. Lambda publishes alias invocations under FunctionName,
     * under FunctionName+Resource (`fn:alias`) and under FunctionName+Resource+ExecutedVersion, the
     * dimension meant "to compare error rates for two versions of a function that are both targets of a
     * weighted alias" ("Working with Lambda function metrics", https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html).
     * The version is the one this `pulumi up` published, i.e. the release's target: an old version's
     * trouble cannot block shipping its fix, and the new one is judged on its own traffic even at 10 %.
     */
    function versionAlarms(parent: Rollout, fn: string, target: RolloutTarget) {
      const dimensions = {
        FunctionName: target.fn.function.name,
        Resource: pulumi.interpolate`${target.fn.function.name}:${LIVE_ALIAS}`,
        ExecutedVersion: target.fn.function.version,
      };
      const common = {
        namespace: 'AWS/Lambda',
        dimensions,
        // One-minute periods: a five-minute canary gets five chances to notice.
        period: ROLLOUT_ALARMS.versionErrors.periodSeconds,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanThreshold',
        // A version nobody invokes (yet) is not failing.
        treatMissingData: 'notBreaching',
        alarmActions: [args.topicArn],
        okActions: [args.topicArn],
      };
      return [
        new aws.cloudwatch.MetricAlarm(`${name}-${fn}-version-errors`, {
          ...common,
          name: `${args.physicalName}-${fn}-version-errors`,
          alarmDescription: `${fn}: errors of the version being released`,
          metricName: 'Errors',
          statistic: 'Sum',
          threshold: ROLLOUT_ALARMS.versionErrors.threshold,
        }, { parent }),
        new aws.cloudwatch.MetricAlarm(`${name}-${fn}-version-duration`, {
          ...common,
          name: `${args.physicalName}-${fn}-version-duration`,
          alarmDescription: `${fn}: p99 duration of the version being released near its ${target.timeoutSeconds} s timeout`,
          metricName: 'Duration',
          period: ROLLOUT_ALARMS.versionDuration.periodSeconds,
          extendedStatistic: 'p99',
          threshold: durationThresholdMs(target.timeoutSeconds),
        }, { parent }),
      ];
    }

    function createGroup(parent: Rollout, fn: string, target: RolloutTarget, alarms: pulumi.Output<string>[]) {
      return new aws.codedeploy.DeploymentGroup(`${name}-${fn}`, {
        appName: parent.application.name,
        deploymentGroupName: `${args.physicalName}-${fn}`,
        serviceRoleArn: parent.role.arn,
        deploymentConfigName: deploymentConfigOf(target.spec, args.deploymentConfig),
        // The only style CodeDeploy accepts for Lambda: traffic shifts between two versions of an alias.
        deploymentStyle: { deploymentOption: 'WITH_TRAFFIC_CONTROL', deploymentType: 'BLUE_GREEN' },
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
        alarmConfiguration: { enabled: true, alarms },
      }, { parent });
    }
  }

  /** What `npm run release` needs to start and watch one function's rollout (exported by infra/index.ts). */
  target(fn: FunctionName) {
    const target = this.args.functions[fn]!;
    const config = deploymentConfigOf(target.spec, this.args.deploymentConfig);
    return {
      functionName: target.fn.function.name,
      alias: LIVE_ALIAS,
      targetVersion: target.fn.function.version,
      application: this.application.name,
      deploymentGroup: this.groups[fn]!.deploymentGroupName,
      deploymentConfig: config,
      // An all-at-once deployment ends the moment it shifts, before any alarm can stop it; in a stack
      // that canaries, the release watches such a function's alarms as long as a canary would take.
      bakeMinutes: bakeMinutesOf(target.spec, this.args.deploymentConfig),
      alarms: this.alarmNames[fn]!,
    };
  }
}

export interface RolloutTarget {
  spec: FunctionSpec;
  fn: LambdaFunction;
  timeoutSeconds: number;
  /** Alarms outside the function that must also stop its deployment. */
  guardAlarmNames: pulumi.Input<string>[];
}

export interface RolloutArgs {
  /** e.g. `noops-todo-dev`: the application, its groups, role and alarms are named after it. */
  physicalName: string;
  /** The stack's configuration for HTTP functions (`noops-todo:deploymentConfig`). */
  deploymentConfig: DeploymentConfigName;
  functions: Partial<Record<FunctionName, RolloutTarget>>;
  /** SNS topic the version alarms notify, like every other alarm. */
  topicArn: pulumi.Input<string>;
}
