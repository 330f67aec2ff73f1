/**
 * How a new function version reaches traffic, as plain data both runtimes read: infra/ turns it into
 * CodeDeploy deployment groups, and a local rehearsal can shift its own weighted alias in the same steps.
 * No Pulumi, no AWS SDK, no I/O.
 */
import type { FunctionSpec } from './index';

/** The alias every trigger invokes (API Gateway integrations, the event source mapping); never `$LATEST`. */
export const LIVE_ALIAS = 'live';

/**
 * CodeDeploy's predefined deployment configurations for the Lambda compute platform ("Working with
 * deployment configurations in CodeDeploy", https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html):
 * canary shifts `percent` first and the rest `intervalMinutes` later; linear adds `percent` every
 * `intervalMinutes`; all-at-once shifts everything in one step.
 */
export const DEPLOYMENT_CONFIGS = {
  'CodeDeployDefault.LambdaAllAtOnce': { type: 'AllAtOnce' },
  'CodeDeployDefault.LambdaCanary10Percent5Minutes': { type: 'Canary', percent: 10, intervalMinutes: 5 },
  'CodeDeployDefault.LambdaCanary10Percent10Minutes': { type: 'Canary', percent: 10, intervalMinutes: 10 },
  'CodeDeployDefault.LambdaCanary10Percent15Minutes': { type: 'Canary', percent: 10, intervalMinutes: 15 },
  'CodeDeployDefault.LambdaCanary10Percent30Minutes': { type: 'Canary', percent: 10, intervalMinutes: 30 },
  'CodeDeployDefault.LambdaLinear10PercentEvery1Minute': { type: 'Linear', percent: 10, intervalMinutes: 1 },
  'CodeDeployDefault.LambdaLinear10PercentEvery2Minutes': { type: 'Linear', percent: 10, intervalMinutes: 2 },
  'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes': { type: 'Linear', percent: 10, intervalMinutes: 3 },
  'CodeDeployDefault.LambdaLinear10PercentEvery10Minutes': { type: 'Linear', percent: 10, intervalMinutes: 10 },
} as const satisfies Record<string, TrafficShift>;

export type DeploymentConfigName = keyof typeof DEPLOYMENT_CONFIGS;

export type TrafficShift =
  | { type: 'AllAtOnce' }
  | { type: 'Canary' | 'Linear'; percent: number; intervalMinutes: number };

export const ALL_AT_ONCE: DeploymentConfigName = 'CodeDeployDefault.LambdaAllAtOnce';
/** What a stack gets without `noops-todo:deploymentConfig`: production stacks canary, the others switch at once. */
export const DEFAULT_DEPLOYMENT_CONFIG = { production: 'CodeDeployDefault.LambdaCanary10Percent5Minutes', other: ALL_AT_ONCE } as const satisfies Record<string, DeploymentConfigName>;

export function isDeploymentConfigName(name: string): name is DeploymentConfigName {
  return Object.hasOwn(DEPLOYMENT_CONFIGS, name);
}

/** One step of a rollout: from `atMinute` on, the new version gets `percent` of the alias's invocations. */
export interface TrafficStep {
  atMinute: number;
  percent: number;
}

/** The schedule a configuration follows, ending at 100 %: canary 10/5 → [0 min 10 %, 5 min 100 %]. */
export function trafficSteps(name: DeploymentConfigName): TrafficStep[] {
  const shift: TrafficShift = DEPLOYMENT_CONFIGS[name];
  if (shift.type === 'AllAtOnce') return [{ atMinute: 0, percent: 100 }];
  if (shift.type === 'Canary') return [{ atMinute: 0, percent: shift.percent }, { atMinute: shift.intervalMinutes, percent: 100 }];
  const steps: TrafficStep[] = [];
  for (let i = 0; i * shift.percent < 100; i++) steps.push({ atMinute: i * shift.intervalMinutes, percent: Math.min(100, (i + 1) * shift.percent) });
  return steps;
}

/** Minutes from the first shift to 100 %: how long alarms can still stop a deployment of this kind. */
export function shiftMinutes(name: DeploymentConfigName): number {
  return trafficSteps(name).at(-1)!.atMinute;
}

/**
 * The configuration a function deploys with. A stream consumer always switches at once: an event source
 * mapping invokes the alias once per batch and Lambda splits an alias's invocations between its two
 * versions "using a simple probabilistic model" ("Create a routing configuration for a Lambda alias",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html), so under a weighted
 * alias consecutive batches of one shard, and the retries of one batch, land on either version at
 * random. The replicator's changes must be applied by one code version at a time; its alarms watch the
 * bake window instead (docs/release.md).
 */
export function deploymentConfigOf(spec: Pick<FunctionSpec, 'consumesChangeStream'>, stackConfig: DeploymentConfigName): DeploymentConfigName {
  return spec.consumesChangeStream ? ALL_AT_ONCE : stackConfig;
}

/**
 * Minutes the release keeps watching a function's alarms after CodeDeploy is done: a function forced to
 * switch at once (the replicator) in a stack that canaries is watched as long as the canary would take.
 */
export function bakeMinutesOf(spec: Pick<FunctionSpec, 'consumesChangeStream'>, stackConfig: DeploymentConfigName): number {
  return deploymentConfigOf(spec, stackConfig) === stackConfig ? 0 : shiftMinutes(stackConfig);
}

/**
 * The alarms that stop a rollout, as numbers both runtimes use: infra/ creates CloudWatch alarms from
 * them, the local rehearsal evaluates the same rules over the function pool's own invocations. Each
 * fires when its statistic over one period is greater than the threshold (`GreaterThanThreshold`,
 * missing data not breaching: no traffic is not an outage).
 */
export const ROLLOUT_ALARMS = {
  /** `Errors` Sum of the version being released, per minute: one failed invocation is enough. */
  versionErrors: { periodSeconds: 60, threshold: 0 },
  /** `Duration` p99 of the version being released, per minute, above this share of the function's timeout. */
  versionDuration: { periodSeconds: 60, shareOfTimeout: 0.8 },
  /** The HTTP API's `5xx` Sum per five minutes. */
  api5xx: { periodSeconds: 300, threshold: 0 },
} as const;

/** The duration alarm's threshold in ms for a function with this timeout. */
export function durationThresholdMs(timeoutSeconds: number): number {
  return Math.round(timeoutSeconds * 1000 * ROLLOUT_ALARMS.versionDuration.shareOfTimeout);
}
