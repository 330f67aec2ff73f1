import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appSpec, appSpecVersions, planStep, rollbackStep } from '../../../../scripts/release/plan';
import { exitCodeOf, renderProgress, trafficShare, type Progress } from '../../../../scripts/release/progress';
import type { ReleaseTarget } from '../../../../scripts/release/stack';

const target: ReleaseTarget = {
  function: 'rule', functionName: 'noops-todo-prod-rule', alias: 'live', targetVersion: '8', application: 'noops-todo-prod',
  deploymentGroup: 'noops-todo-prod-rule', deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes', bakeMinutes: 0, alarms: [],
};

describe('which functions a release deploys', () => {
  it('deploys an alias behind the published version, from the version it is on', () => {
    expect(planStep(target, { version: '7', weights: {} }, [])).toEqual({ kind: 'deploy', target, currentVersion: '7' });
  });

  it('leaves an alias already on the published version alone', () => {
    expect(planStep(target, { version: '8', weights: {} }, []).kind).toBe('current');
  });

  it('refuses to start a second rollout over a split alias or a running deployment', () => {
    expect(planStep(target, { version: '7', weights: { '8': 0.1 } }, [])).toMatchObject({ kind: 'busy', reason: 'alias live is split between versions 7 and 8' });
    expect(planStep(target, { version: '7', weights: {} }, ['d-ABC'])).toMatchObject({ kind: 'busy', reason: 'deployment d-ABC is still running' });
  });

  it('writes the AppSpec CodeDeploy shifts by, with the sha256 of exactly that content', () => {
    const spec = appSpec(target, '7');
    expect(JSON.parse(spec.content)).toEqual({
      version: 0,
      Resources: [{ rule: { Type: 'AWS::Lambda::Function', Properties: { Name: 'noops-todo-prod-rule', Alias: 'live', CurrentVersion: '7', TargetVersion: '8' } } }],
    });
    expect(spec.content.startsWith('{"version":0.0,')).toBe(true);
    expect(spec.sha256).toBe(createHash('sha256').update(spec.content).digest('hex'));
    expect(appSpecVersions(spec.content)).toEqual({ currentVersion: '7', targetVersion: '8' });
    expect(appSpecVersions('version: 0.0')).toBeUndefined();
  });
});

describe('how a rollback takes traffic back', () => {
  it('stops a running deployment so CodeDeploy rolls it back', () => {
    expect(rollbackStep({ version: '7', weights: { '8': 0.1 } }, ['d-1'])).toEqual({ kind: 'stop', deploymentIds: ['d-1'] });
  });

  it('drops the weights of a split alias left without a deployment, keeping its primary', () => {
    expect(rollbackStep({ version: '7', weights: { '8': 0.1 } }, [])).toMatchObject({ kind: 'point', version: '7' });
  });

  it('points a released alias back at the version the release replaced', () => {
    expect(rollbackStep({ version: '8', weights: {} }, [], { currentVersion: '7', targetVersion: '8' })).toMatchObject({ kind: 'point', version: '7' });
  });

  it('does nothing when the live version was not put there by the last release', () => {
    expect(rollbackStep({ version: '7', weights: {} }, [], { currentVersion: '7', targetVersion: '8' }).kind).toBe('nothing');
    expect(rollbackStep({ version: '1', weights: {} }, []).kind).toBe('nothing');
  });
});

describe('progress', () => {
  it('reads the target version\'s share from the alias, whichever version is primary', () => {
    expect(trafficShare({ version: '7', weights: {} }, '8')).toBe(0);
    expect(trafficShare({ version: '7', weights: { '8': 0.1 } }, '8')).toBe(10);
    expect(trafficShare({ version: '8', weights: { '7': 0.3 } }, '8')).toBe(70);
    expect(trafficShare({ version: '8', weights: {} }, '8')).toBe(100);
  });

  const progress = (p: Partial<Progress>): Progress => ({ function: 'rule', currentVersion: '7', targetVersion: '8', status: 'InProgress', percent: 10, alarms: { a: 'OK', b: 'INSUFFICIENT_DATA' }, ...p });

  it('draws a bar of the traffic share with the alarm state', () => {
    expect(renderProgress(progress({}))).toBe('rule        [██░░░░░░░░░░░░░░░░░░]    10% on v8 (from v7)  InProgress  alarms ok');
    expect(renderProgress(progress({ percent: 100, status: 'Succeeded' }))).toContain('[████████████████████]   100%');
    expect(renderProgress(progress({ alarms: { 'noops-todo-prod-api-5xx': 'ALARM' }, status: 'Stopped', message: 'rolled back' }))).toMatch(/Stopped  ALARM noops-todo-prod-api-5xx  rolled back$/);
    expect(renderProgress(progress({ status: 'Failed' }), true)).toContain('\u001b[31mFailed\u001b[0m');
  });

  it('exits 0 only when everything was promoted, 3 on any rollback, 1 when the watch ended early', () => {
    expect(exitCodeOf([progress({ status: 'Succeeded' }), progress({ status: 'Succeeded' })])).toBe(0);
    expect(exitCodeOf([progress({ status: 'Succeeded' }), progress({ status: 'Stopped' })])).toBe(3);
    expect(exitCodeOf([progress({ status: 'RolledBack' })])).toBe(3);
    expect(exitCodeOf([progress({ status: 'Succeeded' }), progress({ status: 'InProgress' })])).toBe(1);
  });
});
