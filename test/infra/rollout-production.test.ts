import { beforeAll, describe, expect, it, vi } from 'vitest';
import { PREFIX, runProgram, type ProgramRun } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({ production: 'true' });
});

describe('rollout of a production stack', () => {
  it('canaries the HTTP functions 10 % for 5 minutes by default', () => {
    for (const fn of ['static', 'rule', 'user']) {
      expect(run.find('aws:codedeploy/deploymentGroup:DeploymentGroup', `rollout-${fn}`).inputs.deploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    }
  });

  it('switches the stream consumer at once and has the release watch it as long as the canary would take', () => {
    expect(run.find('aws:codedeploy/deploymentGroup:DeploymentGroup', 'rollout-replicator').inputs.deploymentConfigName).toBe('CodeDeployDefault.LambdaAllAtOnce');
    expect(run.outputs.release.functions.replicator).toMatchObject({ deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce', bakeMinutes: 5, deploymentGroup: `${PREFIX}-replicator` });
    expect(run.outputs.release.functions.rule).toMatchObject({ deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes', bakeMinutes: 0 });
  });
});
