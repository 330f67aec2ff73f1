import { createHash } from 'node:crypto';
import type { ReleaseTarget } from './stack';

/** A Lambda alias as GetAlias returns it: its primary version and the weights of any other version. */
export interface AliasState {
  version: string;
  /** `AdditionalVersionWeights`: version → share (0–1) of the alias's invocations. */
  weights: Record<string, number>;
}

export type Step =
  | { kind: 'deploy'; target: ReleaseTarget; currentVersion: string }
  | { kind: 'current'; target: ReleaseTarget }
  | { kind: 'busy'; target: ReleaseTarget; reason: string };

/**
 * What a release does with one function. A weighted alias or a running deployment means another
 * rollout owns the alias: starting a second one would fight it, so the release refuses instead.
 */
export function planStep(target: ReleaseTarget, alias: AliasState, activeDeployments: string[]): Step {
  if (activeDeployments.length > 0) return { kind: 'busy', target, reason: `deployment ${activeDeployments.join(', ')} is still running` };
  if (Object.keys(alias.weights).length > 0) return { kind: 'busy', target, reason: `alias ${target.alias} is split between versions ${[alias.version, ...Object.keys(alias.weights)].join(' and ')}` };
  if (alias.version === target.targetVersion) return { kind: 'current', target };
  return { kind: 'deploy', target, currentVersion: alias.version };
}

/**
 * The AppSpec of a Lambda deployment: the alias and the versions to shift between, as JSON ("AppSpec
 * 'resources' section for AWS Lambda deployments", AWS CodeDeploy User Guide). CreateDeployment takes it
 * inline as an AppSpecContent revision whose sha256 is of exactly this string.
 */
export function appSpec(target: ReleaseTarget, currentVersion: string): { content: string; sha256: string } {
  const resources = [{
    [target.function]: {
      Type: 'AWS::Lambda::Function',
      Properties: { Name: target.functionName, Alias: target.alias, CurrentVersion: currentVersion, TargetVersion: target.targetVersion },
    },
  }];
  // Written as the documented `0.0` (JSON.stringify would print 0).
  const content = `{"version":0.0,"Resources":${JSON.stringify(resources)}}`;
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
}

/** The versions a deployment's AppSpec moved between (undefined if it is not one of ours). */
export function appSpecVersions(content: string): { currentVersion: string; targetVersion: string } | undefined {
  try {
    const resource = Object.values((JSON.parse(content) as { Resources: Record<string, { Properties: Record<string, unknown> }>[] }).Resources[0]!)[0]!;
    const { CurrentVersion, TargetVersion } = resource.Properties;
    return typeof CurrentVersion === 'string' && typeof TargetVersion === 'string' ? { currentVersion: CurrentVersion, targetVersion: TargetVersion } : undefined;
  } catch {
    return undefined;
  }
}

export type RollbackStep =
  | { kind: 'stop'; deploymentIds: string[] }
  | { kind: 'point'; version: string; reason: string }
  | { kind: 'nothing'; reason: string };

/**
 * How to take one function's traffic back at once: a running deployment is stopped with CodeDeploy's
 * own rollback; a split alias goes back to its primary (CodeDeploy keeps the old version primary while
 * it shifts); an alias a finished release moved goes back to the version that release replaced.
 */
export function rollbackStep(alias: AliasState, activeDeployments: string[], lastRelease?: { currentVersion: string; targetVersion: string }): RollbackStep {
  if (activeDeployments.length > 0) return { kind: 'stop', deploymentIds: activeDeployments };
  if (Object.keys(alias.weights).length > 0) return { kind: 'point', version: alias.version, reason: `drop the weights on ${Object.keys(alias.weights).join(', ')}` };
  if (lastRelease && lastRelease.targetVersion === alias.version && lastRelease.currentVersion !== alias.version) {
    return { kind: 'point', version: lastRelease.currentVersion, reason: `undo the release of version ${alias.version}` };
  }
  return { kind: 'nothing', reason: lastRelease ? `version ${alias.version} was not put live by the last release` : 'no earlier release to go back to' };
}
