import { beforeAll, describe, expect, it, vi } from 'vitest';
import { functions } from '../../topology/index';
import { ACCOUNT, PREFIX, REGION, runProgram, type ProgramRun } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
});

const fnArn = (fn: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${PREFIX}-${fn}`;
const groupOf = (fn: string) => run.find('aws:codedeploy/deploymentGroup:DeploymentGroup', `rollout-${fn}`).inputs;
const alarmNamed = (name: string) => run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').find((a) => a.inputs.name === name)!.inputs;

describe('versions and the live alias', () => {
  it.each(functions.map((f) => [f.name]))('%s publishes a version per change and points live at it only on creation', (name) => {
    expect(run.find('aws:lambda/function:Function', `${name}-function-fn`).inputs.publish).toBe(true);
    const alias = run.find('aws:lambda/alias:Alias', `${name}-function-alias`);
    expect(alias.inputs).toMatchObject({ name: 'live', functionName: `${PREFIX}-${name}`, functionVersion: '1' });
    expect(alias.inputs.routingConfig).toBeUndefined();
  });

  it('leaves every trigger on the alias: no integration, permission or mapping names $LATEST', () => {
    const targets = [
      ...run.ofType('aws:apigatewayv2/integration:Integration').map((i) => i.inputs.integrationUri),
      ...run.ofType('aws:lambda/eventSourceMapping:EventSourceMapping').map((m) => m.inputs.functionName),
    ];
    expect(targets.length).toBe(functions.length + 1);
    for (const target of targets) expect(target).toMatch(new RegExp(`^${fnArn('[a-z]+')}:live$`));
    for (const p of run.ofType('aws:lambda/permission:Permission')) expect(p.inputs.qualifier).toBe('live');
  });
});

describe('CodeDeploy', () => {
  it('is one Lambda application with a service role CodeDeploy alone can assume', () => {
    expect(run.find('aws:codedeploy/application:Application', 'rollout-app').inputs).toMatchObject({ name: PREFIX, computePlatform: 'Lambda' });
    const role = run.find('aws:iam/role:Role', 'rollout-role').inputs;
    expect(JSON.parse(role.assumeRolePolicy).Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'codedeploy.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    expect(run.find('aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'rollout-role-policy').inputs.policyArn).toBe('arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited');
  });

  it.each(functions.map((f) => [f.name]))('gives %s a traffic-shifting group that rolls back on failure and on alarm', (name) => {
    expect(groupOf(name)).toMatchObject({
      appName: PREFIX,
      deploymentGroupName: `${PREFIX}-${name}`,
      serviceRoleArn: `arn:aws:iam::${ACCOUNT}:role/rollout-role`,
      deploymentStyle: { deploymentOption: 'WITH_TRAFFIC_CONTROL', deploymentType: 'BLUE_GREEN' },
      autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
      alarmConfiguration: { enabled: true },
    });
  });

  it('stops each deployment on the new version\'s errors and duration and on the API\'s 5xx; the replicator also on replication trouble', () => {
    for (const spec of functions) {
      const alarms: string[] = groupOf(spec.name).alarmConfiguration.alarms;
      const expected = [`${PREFIX}-${spec.name}-version-errors`, `${PREFIX}-${spec.name}-version-duration`, `${PREFIX}-api-5xx`];
      if (spec.consumesChangeStream) expected.push(`${PREFIX}-replication-lag`, `${PREFIX}-replication-failures`);
      expect(alarms).toEqual(expected);
      // CodeDeploy accepts at most 10 alarms per deployment group.
      expect(alarms.length).toBeLessThanOrEqual(10);
      for (const alarm of alarms) expect(run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').some((a) => a.inputs.name === alarm), alarm).toBe(true);
    }
  });

  it('watches the version being released through the alias\'s ExecutedVersion dimension', () => {
    const errors = alarmNamed(`${PREFIX}-rule-version-errors`);
    expect(errors).toMatchObject({
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      statistic: 'Sum',
      threshold: 0,
      period: 60,
      treatMissingData: 'notBreaching',
      dimensions: { FunctionName: `${PREFIX}-rule`, Resource: `${PREFIX}-rule:live`, ExecutedVersion: '1' },
    });
    const duration = alarmNamed(`${PREFIX}-user-version-duration`);
    // user's timeout is 10 s: alarm at 80 % of it.
    expect(duration).toMatchObject({ metricName: 'Duration', extendedStatistic: 'p99', threshold: 8000, dimensions: { ExecutedVersion: '1', Resource: `${PREFIX}-user:live` } });
    expect(duration.alarmActions).toEqual([`arn:aws:sns:${REGION}:${ACCOUNT}:${PREFIX}-alarms`]);
  });

  it('switches a dev stack all at once', () => {
    for (const spec of functions) expect(groupOf(spec.name).deploymentConfigName).toBe('CodeDeployDefault.LambdaAllAtOnce');
  });

  it('exports what the release CLI needs per function', () => {
    expect(run.outputs.release.region).toBe(REGION);
    expect(run.outputs.release.functions.rule).toEqual({
      functionName: `${PREFIX}-rule`,
      alias: 'live',
      targetVersion: '1',
      application: PREFIX,
      deploymentGroup: `${PREFIX}-rule`,
      deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
      bakeMinutes: 0,
      alarms: [`${PREFIX}-rule-version-errors`, `${PREFIX}-rule-version-duration`, `${PREFIX}-api-5xx`],
    });
    expect(Object.keys(run.outputs.release.functions).sort()).toEqual(functions.map((f) => f.name).sort());
  });
});
