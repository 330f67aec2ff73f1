import type { ReleaseOptions } from './args';
import { EXIT, ReleaseError } from './errors';
import { appSpec, planStep, rollbackStep, type AliasState } from './plan';
import { exitCodeOf, isFinished, renderProgress, trafficShare, type AlarmState, type DeploymentStatus, type Progress } from './progress';
import { selectTargets, type ReleaseStack, type ReleaseTarget } from './stack';

/** The AWS calls a release makes; scripts/release/aws.ts implements them with the SDK v3 clients. */
export interface ReleaseAws {
  getAlias(functionName: string, alias: string): Promise<AliasState>;
  /** UpdateAlias onto one version with no routing config: all traffic, at once. */
  pointAlias(functionName: string, alias: string, version: string): Promise<void>;
  /** Deployments of the group that are not finished yet. */
  activeDeployments(application: string, group: string): Promise<string[]>;
  /** The versions the group's latest successful deployment moved between. */
  lastRelease(application: string, group: string): Promise<{ currentVersion: string; targetVersion: string } | undefined>;
  createDeployment(input: { application: string; group: string; appSpec: { content: string; sha256: string }; description: string }): Promise<string>;
  getDeployment(id: string): Promise<{ status: DeploymentStatus; message?: string }>;
  /** StopDeployment with autoRollbackEnabled: CodeDeploy points the alias back at the original version. */
  stopDeployment(id: string): Promise<void>;
  alarmStates(names: string[]): Promise<Record<string, AlarmState>>;
}

export interface ReleaseIo {
  write(line: string): void;
  color: boolean;
  now(): number;
  sleep(ms: number): Promise<void>;
}

interface Rollout {
  target: ReleaseTarget;
  deploymentId: string;
  currentVersion: string;
  progress: Progress;
  bakeUntil?: number;
}

/** Starts a deployment for every function whose alias is behind, and watches them to the end. */
export async function runRelease(options: ReleaseOptions, stack: ReleaseStack, aws: ReleaseAws, io: ReleaseIo): Promise<number> {
  const targets = selectTargets(stack.targets, options.functions);
  const steps = await Promise.all(targets.map(async (t) => planStep(t, await aws.getAlias(t.functionName, t.alias), await aws.activeDeployments(t.application, t.deploymentGroup))));
  const busy = steps.flatMap((s) => (s.kind === 'busy' ? [`${s.target.function}: ${s.reason}`] : []));
  if (busy.length) throw new ReleaseError(EXIT.busy, `${busy.join('; ')}; wait for it, or take it back with: npm run release -- rollback --stack ${options.stack}`);
  for (const s of steps) if (s.kind === 'current') io.write(`${s.target.function.padEnd(11)} already live on v${s.target.targetVersion}`);

  const rollouts: Rollout[] = [];
  for (const s of steps) {
    if (s.kind !== 'deploy') continue;
    const deploymentId = await aws.createDeployment({
      application: s.target.application,
      group: s.target.deploymentGroup,
      appSpec: appSpec(s.target, s.currentVersion),
      description: `${s.target.functionName}:${s.target.alias} v${s.currentVersion} → v${s.target.targetVersion}`,
    });
    io.write(`${s.target.function.padEnd(11)} ${deploymentId}: v${s.currentVersion} → v${s.target.targetVersion} with ${s.target.deploymentConfig}${s.target.bakeMinutes ? `, then ${s.target.bakeMinutes} min watching its alarms` : ''}`);
    rollouts.push({ target: s.target, deploymentId, currentVersion: s.currentVersion, progress: { function: s.target.function, currentVersion: s.currentVersion, targetVersion: s.target.targetVersion, status: 'Created', percent: 0, alarms: {} } });
  }
  if (rollouts.length === 0) {
    io.write('nothing to release: every live alias is on the latest published version');
    return EXIT.ok;
  }

  const deadline = io.now() + options.timeoutMinutes * 60_000;
  const shown = new Map<string, string>();
  while (true) {
    await Promise.all(rollouts.filter((r) => !isFinished(r.progress.status)).map((r) => advance(r, aws, io)));
    for (const r of rollouts) {
      const line = renderProgress(r.progress, io.color);
      if (shown.get(r.target.function) !== line) io.write(line);
      shown.set(r.target.function, line);
    }
    if (rollouts.every((r) => isFinished(r.progress.status))) break;
    if (io.now() >= deadline) {
      io.write(`stopped watching after ${options.timeoutMinutes} min; CodeDeploy carries on (${rollouts.filter((r) => !isFinished(r.progress.status)).map((r) => r.deploymentId).join(', ')})`);
      break;
    }
    await io.sleep(options.pollSeconds * 1000);
  }
  return exitCodeOf(rollouts.map((r) => r.progress));
}

/** One poll of one rollout: CodeDeploy's status, the alias's split, the alarms; the bake window if any. */
async function advance(r: Rollout, aws: ReleaseAws, io: ReleaseIo): Promise<void> {
  const [deployment, alias, alarms] = await Promise.all([
    aws.getDeployment(r.deploymentId),
    aws.getAlias(r.target.functionName, r.target.alias),
    aws.alarmStates(r.target.alarms),
  ]);
  r.progress = { ...r.progress, status: deployment.status, percent: trafficShare(alias, r.target.targetVersion), alarms, message: deployment.message };
  if (deployment.status !== 'Succeeded' || r.target.bakeMinutes === 0) return;
  // All at once in a stack that canaries: CodeDeploy is done before an alarm could stop it, so the
  // release keeps watching for as long as a canary would have, and takes the traffic back itself.
  r.bakeUntil ??= io.now() + r.target.bakeMinutes * 60_000;
  const firing = Object.entries(alarms).filter(([, s]) => s === 'ALARM').map(([name]) => name);
  if (firing.length) {
    await aws.pointAlias(r.target.functionName, r.target.alias, r.currentVersion);
    r.progress = { ...r.progress, status: 'RolledBack', percent: 0, message: `${firing.join(', ')} fired: ${r.target.alias} is back on v${r.currentVersion}` };
  } else if (io.now() < r.bakeUntil) {
    r.progress = { ...r.progress, status: 'Baking locally', message: `${Math.ceil((r.bakeUntil - io.now()) / 60_000)} min left` };
  }
}

/** Takes every selected function's traffic back at once (see rollbackStep). */
export async function runRollback(options: ReleaseOptions, stack: ReleaseStack, aws: ReleaseAws, io: ReleaseIo): Promise<number> {
  for (const t of selectTargets(stack.targets, options.functions)) {
    const [alias, active, last] = await Promise.all([
      aws.getAlias(t.functionName, t.alias),
      aws.activeDeployments(t.application, t.deploymentGroup),
      aws.lastRelease(t.application, t.deploymentGroup),
    ]);
    const step = rollbackStep(alias, active, last);
    if (step.kind === 'stop') {
      for (const id of step.deploymentIds) await aws.stopDeployment(id);
      io.write(`${t.function.padEnd(11)} stopped ${step.deploymentIds.join(', ')}: CodeDeploy points ${t.alias} back at v${alias.version}`);
    } else if (step.kind === 'point') {
      await aws.pointAlias(t.functionName, t.alias, step.version);
      io.write(`${t.function.padEnd(11)} ${t.alias} → v${step.version} (${step.reason})`);
    } else {
      io.write(`${t.function.padEnd(11)} left on v${alias.version}: ${step.reason}`);
    }
  }
  return EXIT.ok;
}
