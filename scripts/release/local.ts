import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { functions, type FunctionSpec } from '../../topology/index';
import { bakeMinutesOf, deploymentConfigOf, LIVE_ALIAS, trafficSteps, type DeploymentConfigName } from '../../topology/release';
import { alarmState, rolloutAlarms, type LocalAlarm } from '../../local/cloudwatch/alarms';
import type { MetricSample } from '../../local/cloudwatch/metrics';
import type { ReleaseOptions } from './args';
import { EXIT, ReleaseError } from './errors';
import { appSpecVersions, type AliasState } from './plan';
import type { AlarmState, DeploymentStatus } from './progress';
import { runRelease, runRollback, type ReleaseAws, type ReleaseIo } from './run';
import type { ReleaseStack, ReleaseTarget } from './stack';

/** Names as infra/ gives them, with `local` for the stack. */
const PREFIX = 'noops-todo-local';

/** The running stack's control endpoint (local/control), as its stack file gives it. */
export interface ControlEndpoint { url: string; token: string }

export interface ControlClient {
  getAlias(fn: string): Promise<AliasState & { versions: string[]; lastRelease?: { currentVersion: string; targetVersion: string } }>;
  putAlias(fn: string, routing: AliasState & { release?: { currentVersion: string; targetVersion: string } }): Promise<void>;
  publish(fn: string, bundle: string): Promise<string>;
  metrics(after: number): Promise<{ samples: MetricSample[]; last: number }>;
}

export function controlClient(control: ControlEndpoint): ControlClient {
  const call = async (method: string, route: string, body?: unknown) => {
    let res: Response;
    try {
      res = await fetch(`${control.url}${route}`, { method, headers: { authorization: `Bearer ${control.token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new ReleaseError(EXIT.noStack, `the local stack does not answer at ${control.url} (${(err as Error).message}): is npm start still running?`);
    }
    const answer = (await res.json()) as { error?: { message: string } };
    if (!res.ok) throw new ReleaseError(EXIT.failure, `local stack: ${answer.error?.message ?? res.status}`);
    return answer as never;
  };
  return {
    getAlias: (fn) => call('GET', `/functions/${fn}/alias`),
    putAlias: (fn, routing) => call('PUT', `/functions/${fn}/alias`, routing),
    publish: async (fn, bundle) => ((await call('POST', `/functions/${fn}/versions`, { bundle })) as { version: string }).version,
    metrics: (after) => call('GET', `/metrics?after=${after}`),
  };
}

/** Simulated time: `speed` simulated ms pass per real ms, for the schedule, the bake window and polling. */
export function compressedClock(speed: number, realNow: () => number = Date.now): Pick<ReleaseIo, 'now' | 'sleep'> {
  const origin = realNow();
  return {
    now: () => origin + (realNow() - origin) * speed,
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms / speed)),
  };
}

interface LocalDeployment {
  target: ReleaseTarget;
  currentVersion: string;
  status: DeploymentStatus;
  message?: string;
}

/**
 * What CodeDeploy and CloudWatch do for a deployed stack, done by this process against the running
 * local stack: a deployment walks trafficSteps() of its configuration on the compressed clock,
 * keeping the old version primary and the new one as the additional weight, as CodeDeploy does; before
 * every shift and on every tick in between it evaluates the group's alarms over the stack's own
 * samples, and on one firing points the alias back at the old version and stops (exit 3 follows).
 */
export function localAws(client: ControlClient, targets: ReleaseTarget[], alarms: Map<string, LocalAlarm>, clock: Pick<ReleaseIo, 'now' | 'sleep'>): ReleaseAws {
  const deployments = new Map<string, LocalDeployment>();
  const samples: MetricSample[] = [];
  let seen = 0;
  const longest = Math.max(...[...alarms.values()].map((a) => a.periodMs), 0);

  async function states(names: string[]): Promise<Record<string, AlarmState>> {
    for (let more = true; more;) {
      const page = await client.metrics(seen);
      // The deployment's ticks and the progress polls read concurrently: keep each sample once.
      const fresh = page.samples.filter((sample) => sample.seq > seen);
      samples.push(...fresh);
      seen = Math.max(seen, page.last);
      more = fresh.length > 0 && page.samples.length >= 10_000;
    }
    const now = Date.now();
    const keepFrom = samples.findIndex((s) => s.at > now - longest);
    samples.splice(0, keepFrom < 0 ? samples.length : keepFrom);
    return Object.fromEntries(names.map((name) => [name, alarms.has(name) ? alarmState(alarms.get(name)!, samples, now) : 'INSUFFICIENT_DATA']));
  }

  const firing = async (d: LocalDeployment) => Object.entries(await states(d.target.alarms)).filter(([, s]) => s === 'ALARM').map(([n]) => n);

  async function shift(d: LocalDeployment): Promise<void> {
    const { target, currentVersion } = d;
    const started = clock.now();
    d.status = 'InProgress';
    for (const step of trafficSteps(target.deploymentConfig)) {
      // Checked about once a simulated second: a compressed canary notices a failure within a few requests.
      while (clock.now() < started + step.atMinute * 60_000) {
        const fired = await firing(d);
        if (d.status !== 'InProgress') return;
        if (fired.length) return rollBack(d, `stopped by ${fired.join(', ')}`);
        await clock.sleep(1_000);
      }
      const fired = await firing(d);
      if (d.status !== 'InProgress') return;
      if (fired.length) return rollBack(d, `stopped by ${fired.join(', ')}`);
      if (step.percent === 100) await client.putAlias(target.function, { version: target.targetVersion, weights: {}, release: { currentVersion, targetVersion: target.targetVersion } });
      else await client.putAlias(target.function, { version: currentVersion, weights: { [target.targetVersion]: step.percent / 100 } });
    }
    d.status = 'Succeeded';
  }

  async function rollBack(d: LocalDeployment, message: string): Promise<void> {
    d.status = 'Stopped';
    d.message = message;
    await client.putAlias(d.target.function, { version: d.currentVersion, weights: {} });
  }

  return {
    getAlias: async (fn) => {
      const { version, weights } = await client.getAlias(fn);
      return { version, weights };
    },
    pointAlias: (fn, _alias, version) => client.putAlias(fn, { version, weights: {} }),
    activeDeployments: async (_app, group) => [...deployments].filter(([, d]) => d.target.deploymentGroup === group && (d.status === 'Created' || d.status === 'InProgress')).map(([id]) => id),
    lastRelease: async (_app, group) => (await client.getAlias(group)).lastRelease,
    createDeployment: async ({ group, appSpec }) => {
      const target = targets.find((t) => t.deploymentGroup === group)!;
      const versions = appSpecVersions(appSpec.content)!;
      const id = `d-LOCAL${String(deployments.size + 1).padStart(5, '0')}`;
      const d: LocalDeployment = { target, currentVersion: versions.currentVersion, status: 'Created' };
      deployments.set(id, d);
      void shift(d).catch((err: Error) => {
        d.status = 'Failed';
        d.message = err.message;
      });
      return id;
    },
    getDeployment: async (id) => {
      const d = deployments.get(id)!;
      return { status: d.status, ...(d.message ? { message: d.message } : {}) };
    },
    stopDeployment: async (id) => rollBack(deployments.get(id)!, 'stopped by hand'),
    alarmStates: states,
  };
}

export interface LocalReleaseDeps {
  control: ControlEndpoint;
  /** Where new versions' bundles go (`<stack dir>/versions/<fn>/<build>`). */
  stackDir: string;
  io: Pick<ReleaseIo, 'write' | 'color'>;
  /** Builds one function of the working tree into `outdir`; returns its index.mjs. Tests swap in fixtures. */
  build?: (spec: FunctionSpec, outdir: string) => Promise<string>;
}

/** The running local stack (`npm start`, or an in-memory one), found through its stack file. */
export async function findLocalStack(dataDir: string): Promise<{ dir: string; control: ControlEndpoint }> {
  const { runningStacks } = await import('../../local/stack-file');
  const stack = (await runningStacks(dataDir)).find((s) => s.file.control);
  if (!stack) throw new ReleaseError(EXIT.noStack, 'no local stack is running (or none with a control endpoint): start one with npm start');
  return { dir: stack.dir, control: stack.file.control! };
}

/** `npm run release -- --local [rollback]`: the AWS flow's plan, progress and exit codes on the local stack. */
export async function runLocalRelease(options: ReleaseOptions, deps: LocalReleaseDeps): Promise<number> {
  const client = controlClient(deps.control);
  const selected = functions.filter((f) => options.functions.length === 0 || options.functions.includes(f.name));
  const unknown = options.functions.filter((name) => !functions.some((f) => f.name === name));
  if (unknown.length) throw new ReleaseError(EXIT.usage, `unknown function "${unknown[0]}": the local stack has ${functions.map((f) => f.name).join(', ')}`);
  const clock = compressedClock(options.speed);
  const io: ReleaseIo = { ...deps.io, ...clock };

  if (options.command === 'rollback') {
    const targets = await Promise.all(selected.map(async (spec) => targetOf(spec, (await client.getAlias(spec.name)).version, options.deploymentConfig)));
    return runRollback(options, { region: 'local', targets }, localAws(client, targets, new Map(), clock), io);
  }

  const build = deps.build ?? buildWorkingTree;
  const buildId = new Date().toISOString().replace(/[:.]/g, '-');
  const targets: ReleaseTarget[] = [];
  for (const spec of selected) {
    const outdir = path.join(deps.stackDir, 'versions', spec.name, buildId);
    await mkdir(outdir, { recursive: true });
    const before = await client.getAlias(spec.name);
    const version = await client.publish(spec.name, await build(spec, outdir));
    // Unchanged code publishes nothing (the newest version answers): its folder is not needed.
    if (before.versions.includes(version)) await rm(outdir, { recursive: true, force: true });
    targets.push(targetOf(spec, version, options.deploymentConfig));
  }
  const alarms = new Map(targets.flatMap((t) => rolloutAlarms({ prefix: PREFIX, function: t.function, version: t.targetVersion, timeoutSeconds: functions.find((f) => f.name === t.function)!.timeoutSeconds, speed: options.speed }).map((a) => [a.name, a] as const)));
  const stack: ReleaseStack = { region: 'local', targets };
  return runRelease({ ...options, stack: 'local' }, stack, localAws(client, targets, alarms, clock), io);
}

function targetOf(spec: FunctionSpec, targetVersion: string, config: DeploymentConfigName): ReleaseTarget {
  return {
    function: spec.name,
    functionName: spec.name,
    alias: LIVE_ALIAS,
    targetVersion,
    application: PREFIX,
    deploymentGroup: spec.name,
    deploymentConfig: deploymentConfigOf(spec, config),
    bakeMinutes: bakeMinutesOf(spec, config),
    alarms: [`${PREFIX}-${spec.name}-version-errors`, `${PREFIX}-${spec.name}-version-duration`, `${PREFIX}-api-5xx`],
  };
}

/** The same recipe as `npm run build`, into a folder of its own: the running versions' bundles stay as they are. */
async function buildWorkingTree(spec: FunctionSpec, outdir: string): Promise<string> {
  const { bundleFunction } = await import('../../bundle');
  if (spec.name === 'static') {
    // The static function embeds the web app: build the working tree's into this version's folder.
    const { buildWeb } = await import('../../bundle/web');
    const webDir = `${outdir}-web`;
    await buildWeb(webDir);
    try {
      return (await bundleFunction(spec, outdir, webDir)).file;
    } finally {
      await rm(webDir, { recursive: true, force: true });
    }
  }
  return (await bundleFunction(spec, outdir)).file;
}
