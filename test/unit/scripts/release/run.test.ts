import { describe, expect, it } from 'vitest';
import type { ReleaseOptions } from '../../../../scripts/release/args';
import { EXIT } from '../../../../scripts/release/errors';
import type { AliasState } from '../../../../scripts/release/plan';
import type { AlarmState, DeploymentStatus } from '../../../../scripts/release/progress';
import { runRelease, runRollback, type ReleaseAws, type ReleaseIo } from '../../../../scripts/release/run';
import type { ReleaseStack, ReleaseTarget } from '../../../../scripts/release/stack';

const options: ReleaseOptions = { command: 'release', stack: 'prod', functions: [], pollSeconds: 5, timeoutMinutes: 60, help: false, local: false, speed: 60, deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes' };

const target = (fn: string, extra: Partial<ReleaseTarget> = {}): ReleaseTarget => ({
  function: fn, functionName: `noops-todo-prod-${fn}`, alias: 'live', targetVersion: '8', application: 'noops-todo-prod',
  deploymentGroup: `noops-todo-prod-${fn}`, deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes', bakeMinutes: 0,
  alarms: [`${fn}-errors`], ...extra,
});

interface Poll { status: DeploymentStatus; alias: AliasState; alarm?: AlarmState; message?: string }

/**
 * A CodeDeploy stand-in that replays one scripted poll after another per function (the last repeats),
 * recording every call that changes something. Its clock moves only when the release sleeps.
 */
function fakeAws(start: Record<string, AliasState>, script: Record<string, Poll[]>, extra: Partial<ReleaseAws> = {}) {
  const calls: string[] = [];
  const polls: Record<string, number> = {};
  const byName = (name: string) => name.replace('noops-todo-prod-', '');
  const current = (fn: string) => script[fn]?.[Math.min((polls[fn] ?? 1) - 1, script[fn]!.length - 1)];
  const aws: ReleaseAws = {
    getAlias: async (name) => (polls[byName(name)] ? current(byName(name))!.alias : start[byName(name)]!),
    pointAlias: async (name, alias, version) => void calls.push(`point ${byName(name)} ${alias} ${version}`),
    activeDeployments: async () => [],
    lastRelease: async () => undefined,
    createDeployment: async ({ group, appSpec }) => {
      calls.push(`create ${group} ${JSON.parse(appSpec.content).Resources[0][byName(group)].Properties.TargetVersion}`);
      return `d-${byName(group)}`;
    },
    getDeployment: async (id) => {
      const fn = id.slice(2);
      polls[fn] = (polls[fn] ?? 0) + 1;
      const p = current(fn)!;
      return { status: p.status, ...(p.message ? { message: p.message } : {}) };
    },
    stopDeployment: async (id) => void calls.push(`stop ${id}`),
    alarmStates: async (names) => Object.fromEntries(names.map((n) => [n, current(n.replace(/-errors$/, ''))?.alarm ?? 'OK'])),
    ...extra,
  };
  return { aws, calls };
}

function fakeIo(): ReleaseIo & { lines: string[] } {
  let now = 0;
  const lines: string[] = [];
  return { lines, color: false, write: (line) => void lines.push(line), now: () => now, sleep: async (ms) => void (now += ms) };
}

const stack = (...targets: ReleaseTarget[]): ReleaseStack => ({ region: 'eu-west-1', targets });
const v7: AliasState = { version: '7', weights: {} };

describe('npm run release', () => {
  it('starts nothing when every alias is on the published version', async () => {
    const { aws, calls } = fakeAws({ rule: { version: '8', weights: {} } }, {});
    const io = fakeIo();
    expect(await runRelease(options, stack(target('rule')), aws, io)).toBe(EXIT.ok);
    expect(calls).toEqual([]);
    expect(io.lines).toEqual(['rule        already live on v8', 'nothing to release: every live alias is on the latest published version']);
  });

  it('follows a canary to 100 % and exits 0', async () => {
    const { aws, calls } = fakeAws({ rule: v7, user: { version: '8', weights: {} } }, {
      rule: [
        { status: 'InProgress', alias: { version: '7', weights: { '8': 0.1 } } },
        { status: 'InProgress', alias: { version: '7', weights: { '8': 0.1 } } },
        { status: 'Succeeded', alias: { version: '8', weights: {} } },
      ],
    });
    const io = fakeIo();
    expect(await runRelease(options, stack(target('rule'), target('user')), aws, io)).toBe(EXIT.ok);
    expect(calls).toEqual(['create noops-todo-prod-rule 8']);
    const bars = io.lines.filter((l) => l.startsWith('rule') && l.includes('['));
    // An unchanged poll prints nothing: one line at 10 %, one at 100 %.
    expect(bars).toHaveLength(2);
    expect(bars[0]).toContain('10% on v8 (from v7)  InProgress  alarms ok');
    expect(bars[1]).toContain('100% on v8 (from v7)  Succeeded');
  });

  it('exits 3 when CodeDeploy stops the deployment on an alarm and rolls back', async () => {
    const { aws } = fakeAws({ rule: v7 }, {
      rule: [
        { status: 'InProgress', alias: { version: '7', weights: { '8': 0.1 } }, alarm: 'ALARM' },
        { status: 'Stopped', alias: v7, alarm: 'ALARM', message: 'Alarm rule-errors fired' },
      ],
    });
    const io = fakeIo();
    expect(await runRelease(options, stack(target('rule')), aws, io)).toBe(EXIT.rolledBack);
    expect(io.lines.at(-1)).toMatch(/0% on v8 \(from v7\)  Stopped  ALARM rule-errors  Alarm rule-errors fired$/);
  });

  it('refuses to start while another rollout holds an alias', async () => {
    const { aws, calls } = fakeAws({ rule: { version: '7', weights: { '8': 0.1 } } }, {});
    await expect(runRelease(options, stack(target('rule')), aws, fakeIo())).rejects.toMatchObject({ exitCode: EXIT.busy, message: expect.stringContaining('npm run release -- rollback --stack prod') });
    expect(calls).toEqual([]);
  });

  it('watches an all-at-once consumer for its bake window and points it back when an alarm fires', async () => {
    const replicator = target('replicator', { deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce', bakeMinutes: 5 });
    const { aws, calls } = fakeAws({ replicator: v7 }, {
      replicator: [
        { status: 'Succeeded', alias: { version: '8', weights: {} } },
        { status: 'Succeeded', alias: { version: '8', weights: {} }, alarm: 'ALARM' },
      ],
    });
    const io = fakeIo();
    expect(await runRelease(options, stack(replicator), aws, io)).toBe(EXIT.rolledBack);
    expect(calls).toEqual(['create noops-todo-prod-replicator 8', 'point replicator live 7']);
    expect(io.lines.at(-1)).toContain('RolledBack  ALARM replicator-errors  replicator-errors fired: live is back on v7');
  });

  it('promotes an all-at-once consumer once its bake window passes quietly', async () => {
    const replicator = target('replicator', { deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce', bakeMinutes: 5 });
    const { aws, calls } = fakeAws({ replicator: v7 }, { replicator: [{ status: 'Succeeded', alias: { version: '8', weights: {} } }] });
    const io = fakeIo();
    expect(await runRelease(options, stack(replicator), aws, io)).toBe(EXIT.ok);
    expect(calls).toEqual(['create noops-todo-prod-replicator 8']);
    expect(io.lines.some((l) => l.includes('Baking locally'))).toBe(true);
    expect(io.lines.at(-1)).toContain('Succeeded  alarms ok');
  });

  it('gives up watching after --timeout with exit 1, leaving CodeDeploy to carry on', async () => {
    const { aws } = fakeAws({ rule: v7 }, { rule: [{ status: 'InProgress', alias: { version: '7', weights: { '8': 0.1 } } }] });
    const io = fakeIo();
    expect(await runRelease({ ...options, timeoutMinutes: 1 }, stack(target('rule')), aws, io)).toBe(EXIT.failure);
    expect(io.lines.at(-1)).toBe('stopped watching after 1 min; CodeDeploy carries on (d-rule)');
  });
});

describe('npm run release -- rollback', () => {
  it('stops what is running and points finished releases back, at once', async () => {
    const aliases: Record<string, AliasState> = { rule: { version: '7', weights: { '8': 0.1 } }, user: { version: '8', weights: {} }, static: { version: '3', weights: {} } };
    const { aws, calls } = fakeAws(aliases, {}, {
      activeDeployments: async (_app, group) => (group.endsWith('-rule') ? ['d-rule'] : []),
      lastRelease: async (_app, group) => (group.endsWith('-user') ? { currentVersion: '7', targetVersion: '8' } : undefined),
    });
    const io = fakeIo();
    expect(await runRollback({ ...options, command: 'rollback' }, stack(target('rule'), target('user'), target('static')), aws, io)).toBe(EXIT.ok);
    expect(calls).toEqual(['stop d-rule', 'point user live 7']);
    expect(io.lines).toEqual([
      'rule        stopped d-rule: CodeDeploy points live back at v7',
      'user        live → v7 (undo the release of version 8)',
      'static      left on v3: no earlier release to go back to',
    ]);
  });
});
