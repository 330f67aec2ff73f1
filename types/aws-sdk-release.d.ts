/**
 * Stand-in types for the three SDK v3 clients scripts/release/aws.ts uses, which are not installed yet:
 * @aws-sdk/client-lambda, @aws-sdk/client-codedeploy, @aws-sdk/client-cloudwatch. Only the calls and
 * fields the release makes are declared. An ambient declaration shadows an installed package's own
 * types, so delete this file when they are installed (test/unit/release/sdk-shim.test.ts insists).
 */
declare module '@aws-sdk/client-lambda' {
  interface ClientConfig { region?: string }
  export class LambdaClient {
    constructor(config: ClientConfig);
    send<O>(command: { readonly __output?: O }): Promise<O>;
  }
  export class GetAliasCommand {
    readonly __output?: { FunctionVersion?: string; RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> } };
    constructor(input: { FunctionName: string; Name: string });
  }
  export class UpdateAliasCommand {
    readonly __output?: { FunctionVersion?: string };
    constructor(input: { FunctionName: string; Name: string; FunctionVersion?: string; RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> } });
  }
}

declare module '@aws-sdk/client-codedeploy' {
  interface ClientConfig { region?: string }
  type Status = 'Created' | 'Queued' | 'InProgress' | 'Baking' | 'Ready' | 'Succeeded' | 'Failed' | 'Stopped';
  export class CodeDeployClient {
    constructor(config: ClientConfig);
    send<O>(command: { readonly __output?: O }): Promise<O>;
  }
  export class CreateDeploymentCommand {
    readonly __output?: { deploymentId?: string };
    constructor(input: {
      applicationName: string;
      deploymentGroupName?: string;
      description?: string;
      revision?: { revisionType: 'AppSpecContent'; appSpecContent: { content: string; sha256?: string } };
    });
  }
  export class GetDeploymentCommand {
    readonly __output?: {
      deploymentInfo?: {
        status?: Status;
        errorInformation?: { code?: string; message?: string };
        rollbackInfo?: { rollbackDeploymentId?: string; rollbackTriggeringDeploymentId?: string; rollbackMessage?: string };
        revision?: { revisionType?: string; appSpecContent?: { content?: string; sha256?: string } };
      };
    };
    constructor(input: { deploymentId: string });
  }
  export class ListDeploymentsCommand {
    readonly __output?: { deployments?: string[]; nextToken?: string };
    constructor(input: { applicationName?: string; deploymentGroupName?: string; includeOnlyStatuses?: Status[]; nextToken?: string });
  }
  export class StopDeploymentCommand {
    readonly __output?: { status?: 'Pending' | 'Succeeded'; statusMessage?: string };
    constructor(input: { deploymentId: string; autoRollbackEnabled?: boolean });
  }
}

declare module '@aws-sdk/client-cloudwatch' {
  interface ClientConfig { region?: string }
  export class CloudWatchClient {
    constructor(config: ClientConfig);
    send<O>(command: { readonly __output?: O }): Promise<O>;
  }
  export class DescribeAlarmsCommand {
    readonly __output?: { MetricAlarms?: { AlarmName?: string; StateValue?: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' }[] };
    constructor(input: { AlarmNames?: string[]; MaxRecords?: number; NextToken?: string });
  }
}
