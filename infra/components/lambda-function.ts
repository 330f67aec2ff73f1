import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { LIVE_ALIAS } from '../../topology/release';
import { LAMBDA_RUNTIME } from '../../topology/runtime';
import { mergeLinks, policyDocument, type Link, type Statement } from '../link';

/**
 * One Lambda function with everything it owns: its log group, its role and the role's single inline
 * policy, built only from the links it is given (plus writing its own logs and traces), and the `live`
 * alias every trigger invokes. Each `pulumi up` that changes code or configuration publishes a new
 * version; moving `live` onto it is the release's job (docs/release.md), not the program's.
 */
export class LambdaFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly policy: aws.iam.RolePolicy;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly alias: aws.lambda.Alias;

  constructor(name: string, args: LambdaFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:compute:LambdaFunction', name, {}, opts);
    const link = mergeLinks(args.links);

    this.logGroup = createLogGroup(this);
    this.role = createRole(this);
    this.policy = createPolicy(this, this.role, this.logGroup, link.statements);
    this.function = createFunction(this);
    this.alias = createAlias(this);
    this.registerOutputs({ functionName: this.function.name, aliasArn: this.alias.arn, version: this.function.version, logGroupName: this.logGroup.name, roleArn: this.role.arn });

    function createLogGroup(parent: LambdaFunction) {
      // Lambda's default group name, so tools that assume it still find the logs.
      return new aws.cloudwatch.LogGroup(`${name}-logs`, {
        name: `/aws/lambda/${args.functionName}`,
        retentionInDays: args.logRetentionDays,
        // A fixed name: changing the log group class replaces it, so the old group (and its events) goes first.
      }, { parent, deleteBeforeReplace: true });
    }

    function createRole(parent: LambdaFunction) {
      return new aws.iam.Role(`${name}-role`, {
        // Named like the function, so the CI deploy role can be confined to the stack's name prefix.
        name: args.functionName,
        description: `Execution role of ${args.functionName}`,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }, { parent });
    }

    function createPolicy(parent: LambdaFunction, role: aws.iam.Role, logGroup: aws.cloudwatch.LogGroup, statements: Statement[]) {
      return new aws.iam.RolePolicy(`${name}-policy`, {
        role: role.id,
        policy: policyDocument([...baseStatements(logGroup), ...statements]),
      }, { parent });
    }

    function createFunction(parent: LambdaFunction) {
      return new aws.lambda.Function(`${name}-fn`, {
        name: args.functionName,
        description: args.description,
        runtime: LAMBDA_RUNTIME,
        architectures: ['arm64'],
        handler: 'index.handler',
        code: args.code,
        role: parent.role.arn,
        memorySize: args.memoryMb,
        timeout: args.timeoutSeconds,
        reservedConcurrentExecutions: args.reservedConcurrency ?? -1,
        // The functions send their own OpenTelemetry spans; Active would add Lambda's X-Ray segments as
        // a second, unconnected trace per sampled invocation (the trace id differs from the W3C one).
        tracingConfig: { mode: 'PassThrough' },
        // Text keeps Lambda's START/END/REPORT lines as the local runtime prints them; the handlers'
        // Powertools logger writes its own JSON lines either way.
        loggingConfig: { logFormat: 'Text', logGroup: parent.logGroup.name },
        environment: { variables: args.environment },
        // A new immutable version per code or configuration change; `version` is the latest one.
        publish: true,
      }, { parent, dependsOn: [parent.policy, parent.logGroup] });
    }

    function createAlias(parent: LambdaFunction) {
      return new aws.lambda.Alias(`${name}-alias`, {
        name: LIVE_ALIAS,
        functionName: parent.function.name,
        // Only the first `pulumi up` points the alias (at the first version). From then on CodeDeploy
        // owns it: a deployment rewrites functionVersion and, while traffic shifts, routingConfig. A
        // Pulumi diff on either would undo a rollout or a rollback half-way, so both are ignored.
        // Pulumi has no CodeDeploy update policy like CloudFormation's CodeDeployLambdaAliasUpdate
        // ("UpdatePolicy attribute", AWS CloudFormation User Guide); ignoreChanges is its way to let
        // another system own a property ("ignoreChanges", https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/).
        functionVersion: parent.function.version,
      }, { parent, ignoreChanges: ['functionVersion', 'routingConfig'] });
    }
  }
}

/** Every function writes its own log group (created here, so no logs:CreateLogGroup) and its spans. */
function baseStatements(logGroup: aws.cloudwatch.LogGroup): Statement[] {
  return [
    { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [pulumi.interpolate`${logGroup.arn}:*`] },
    // X-Ray's OTLP endpoint is authorised as xray:PutTraceSegments (the write action of the
    // AWSXrayWriteOnlyAccess policy that "Exporting collector-less traces using ADOT SDKs", CloudWatch
    // User Guide, attaches). X-Ray has no resource-level permissions for it: "*" is the only valid resource.
    { actions: ['xray:PutTraceSegments'], resources: ['*'] },
  ];
}

export interface LambdaFunctionArgs {
  /** Physical function name, e.g. `noops-todo-dev-rule`. */
  functionName: string;
  description: string;
  /** The deployment package (see infra/bundle.ts). */
  code: pulumi.Input<pulumi.asset.Archive>;
  memoryMb: number;
  timeoutSeconds: number;
  /** Undefined: unreserved (Lambda's `-1`). */
  reservedConcurrency?: number;
  logRetentionDays: number;
  /** Its whole environment, mapped from topology's contract (infra/environment.ts). */
  environment: Record<string, pulumi.Input<string>>;
  /** Resources the function uses: the IAM statements for exactly that use. */
  links: Link[];
}
