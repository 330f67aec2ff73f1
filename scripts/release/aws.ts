import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, ListDeploymentsCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { appSpecVersions } from './plan';
import type { AlarmState, DeploymentStatus } from './progress';
import type { ReleaseAws } from './run';

/** Statuses of a deployment that has not finished ("DeploymentStatus", AWS CodeDeploy API Reference). */
const ACTIVE = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const;
/** DescribeAlarms takes at most 100 names per call. */
const ALARM_PAGE = 100;

/** The release's AWS calls on the real SDK v3 clients, with the default credential chain. */
export function awsRelease(region: string): ReleaseAws {
  const lambda = new LambdaClient({ region });
  const codedeploy = new CodeDeployClient({ region });
  const cloudwatch = new CloudWatchClient({ region });
  return {
    async getAlias(functionName, alias) {
      const out = await lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
      return { version: out.FunctionVersion!, weights: { ...out.RoutingConfig?.AdditionalVersionWeights } };
    },
    async pointAlias(functionName, alias, version) {
      await lambda.send(new UpdateAliasCommand({ FunctionName: functionName, Name: alias, FunctionVersion: version, RoutingConfig: { AdditionalVersionWeights: {} } }));
    },
    async activeDeployments(application, group) {
      const out = await codedeploy.send(new ListDeploymentsCommand({ applicationName: application, deploymentGroupName: group, includeOnlyStatuses: [...ACTIVE] }));
      return out.deployments ?? [];
    },
    async lastRelease(application, group) {
      // ListDeployments returns the newest first.
      const out = await codedeploy.send(new ListDeploymentsCommand({ applicationName: application, deploymentGroupName: group, includeOnlyStatuses: ['Succeeded'] }));
      const id = out.deployments?.[0];
      if (!id) return undefined;
      const info = (await codedeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
      const content = info?.revision?.appSpecContent?.content;
      return content ? appSpecVersions(content) : undefined;
    },
    async createDeployment({ application, group, appSpec, description }) {
      const out = await codedeploy.send(new CreateDeploymentCommand({
        applicationName: application,
        deploymentGroupName: group,
        description,
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec.content, sha256: appSpec.sha256 } },
      }));
      return out.deploymentId!;
    },
    async getDeployment(id) {
      const info = (await codedeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
      const message = info?.rollbackInfo?.rollbackMessage ?? info?.errorInformation?.message;
      return { status: (info?.status ?? 'Created') as DeploymentStatus, ...(message ? { message } : {}) };
    },
    async stopDeployment(id) {
      await codedeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }));
    },
    async alarmStates(names) {
      const states: Record<string, AlarmState> = {};
      for (let i = 0; i < names.length; i += ALARM_PAGE) {
        const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + ALARM_PAGE), MaxRecords: ALARM_PAGE }));
        for (const alarm of out.MetricAlarms ?? []) states[alarm.AlarmName!] = alarm.StateValue as AlarmState;
      }
      return states;
    },
  };
}
