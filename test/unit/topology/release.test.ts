import { describe, expect, it } from 'vitest';
import { functions } from '../../../topology/index';
import { DEPLOYMENT_CONFIGS, deploymentConfigOf, shiftMinutes, trafficSteps, type DeploymentConfigName } from '../../../topology/release';

describe('deployment configurations as data', () => {
  it('turns each CodeDeploy Lambda configuration into the traffic steps it takes', () => {
    expect(trafficSteps('CodeDeployDefault.LambdaAllAtOnce')).toEqual([{ atMinute: 0, percent: 100 }]);
    expect(trafficSteps('CodeDeployDefault.LambdaCanary10Percent5Minutes')).toEqual([{ atMinute: 0, percent: 10 }, { atMinute: 5, percent: 100 }]);
    const linear = trafficSteps('CodeDeployDefault.LambdaLinear10PercentEvery2Minutes');
    expect(linear).toHaveLength(10);
    expect(linear[0]).toEqual({ atMinute: 0, percent: 10 });
    expect(linear.at(-1)).toEqual({ atMinute: 18, percent: 100 });
  });

  it('ends every schedule at 100 % with traffic only ever growing', () => {
    for (const name of Object.keys(DEPLOYMENT_CONFIGS) as DeploymentConfigName[]) {
      const steps = trafficSteps(name);
      expect(steps.at(-1)!.percent, name).toBe(100);
      for (let i = 1; i < steps.length; i++) {
        expect(steps[i]!.percent).toBeGreaterThan(steps[i - 1]!.percent);
        expect(steps[i]!.atMinute).toBeGreaterThan(steps[i - 1]!.atMinute);
      }
    }
    expect(shiftMinutes('CodeDeployDefault.LambdaCanary10Percent30Minutes')).toBe(30);
    expect(shiftMinutes('CodeDeployDefault.LambdaAllAtOnce')).toBe(0);
  });

  it('never splits the stream consumer between two versions, whatever the stack chose', () => {
    const canary = 'CodeDeployDefault.LambdaCanary10Percent5Minutes';
    for (const spec of functions) {
      expect(deploymentConfigOf(spec, canary)).toBe(spec.consumesChangeStream ? 'CodeDeployDefault.LambdaAllAtOnce' : canary);
    }
  });
});
