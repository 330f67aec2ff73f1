import { execFile } from 'node:child_process';
import { isDeploymentConfigName, type DeploymentConfigName } from '../../topology/release';
import { EXIT, ReleaseError } from './errors';

/** One function as infra/index.ts exports it under `release.functions`. */
export interface ReleaseTarget {
  function: string;
  functionName: string;
  alias: string;
  /** The version the last `pulumi up` published: what the alias should end on. */
  targetVersion: string;
  application: string;
  deploymentGroup: string;
  deploymentConfig: DeploymentConfigName;
  /** Minutes to keep watching alarms after an all-at-once shift (0: none). */
  bakeMinutes: number;
  alarms: string[];
}

export interface ReleaseStack {
  region: string;
  targets: ReleaseTarget[];
}

/** The stack's `release` output, from `pulumi stack output --json --stack <name>`. */
export async function readReleaseStack(stack: string, env: NodeJS.ProcessEnv = process.env): Promise<ReleaseStack> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('pulumi', ['stack', 'output', '--json', '--stack', stack], { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, out, errOut) => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new ReleaseError(EXIT.noStack, 'the pulumi CLI is not on PATH: install it and log in to the stack\'s backend'));
      reject(new ReleaseError(EXIT.noStack, `cannot read outputs of stack "${stack}": ${String(errOut || err.message).trim().split('\n')[0]}`));
    });
  });
  let outputs: unknown;
  try {
    outputs = JSON.parse(stdout);
  } catch {
    throw new ReleaseError(EXIT.noStack, `pulumi stack output for "${stack}" is not JSON`);
  }
  return parseReleaseOutput(stack, (outputs as Record<string, unknown> | null)?.release);
}

export function parseReleaseOutput(stack: string, release: unknown): ReleaseStack {
  const missing = (what: string) => new ReleaseError(EXIT.noStack, `stack "${stack}" has no usable release output (${what}): deploy it with this version first (pulumi up)`);
  if (!isRecord(release) || typeof release.region !== 'string' || !isRecord(release.functions)) throw missing('release.region, release.functions');
  const targets = Object.entries(release.functions).map(([fn, value]): ReleaseTarget => {
    if (!isRecord(value)) throw missing(`functions.${fn}`);
    const text = (key: string) => {
      const v = value[key];
      if (typeof v !== 'string' || v === '') throw missing(`functions.${fn}.${key}`);
      return v;
    };
    const config = text('deploymentConfig');
    if (!isDeploymentConfigName(config)) throw missing(`functions.${fn}.deploymentConfig "${config}"`);
    const alarms = value.alarms;
    if (!Array.isArray(alarms) || !alarms.every((a) => typeof a === 'string')) throw missing(`functions.${fn}.alarms`);
    const bake = value.bakeMinutes;
    return {
      function: fn,
      functionName: text('functionName'),
      alias: text('alias'),
      targetVersion: text('targetVersion'),
      application: text('application'),
      deploymentGroup: text('deploymentGroup'),
      deploymentConfig: config,
      bakeMinutes: typeof bake === 'number' && bake >= 0 ? bake : 0,
      alarms,
    };
  });
  if (targets.length === 0) throw missing('no functions');
  return { region: release.region, targets };
}

/** `--function` filter; an unknown name is a usage error that lists the real ones. */
export function selectTargets(targets: ReleaseTarget[], names: string[]): ReleaseTarget[] {
  if (names.length === 0) return targets;
  for (const name of names) {
    if (!targets.some((t) => t.function === name)) throw new ReleaseError(EXIT.usage, `unknown function "${name}": this stack has ${targets.map((t) => t.function).join(', ')}`);
  }
  return targets.filter((t) => names.includes(t.function));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
