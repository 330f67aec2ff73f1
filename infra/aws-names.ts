/**
 * What AWS accepts as the physical name of each resource type the program creates, keyed by Pulumi
 * type token. `test/infra/names.test.ts` checks every name of the program against this table (a type
 * missing here fails it), and `infra/config.ts` derives the longest allowed stack name from it.
 */
export interface NameRule {
  /** The input that carries the physical name (`name`, `dashboardName`, `namePrefix`, …). */
  input: string;
  max: number;
  /** Every character of the name must match. */
  chars: RegExp;
  /** Where AWS (or, where AWS publishes nothing, the closest evidence) says so. */
  source: string;
}

export interface TypeNaming {
  /** Inputs that name the resource; empty for resources AWS identifies by a generated id or an ARN. */
  names: NameRule[];
  /**
   * Without an explicit name, the provider generates one from the logical name and a random suffix
   * (Pulumi auto-naming, "-" and 7 hex characters) or appends 26 characters to `namePrefix` (the
   * Terraform bridge's PrefixedUniqueId), so two versions of a resource never share a name.
   */
  autoNamed?: boolean;
}

/** Pulumi auto-naming: `<logical name>-<7 random hex>` (pulumi.com/docs/iac/concepts/resources/names). */
export const AUTO_NAME_SUFFIX = 8;
/** Terraform's PrefixedUniqueId appends a 26-character timestamp and counter to `namePrefix`. */
export const NAME_PREFIX_SUFFIX = 26;

const LAMBDA: NameRule = { input: 'name', max: 64, chars: /^[a-zA-Z0-9_-]$/, source: 'Lambda API Reference, CreateFunction: "If you specify only the function name, it is limited to 64 characters", pattern [a-zA-Z0-9-_]+' };
const LOG_GROUP: NameRule = { input: 'name', max: 512, chars: /^[A-Za-z0-9_\-/.#]$/, source: 'CloudWatch Logs API Reference, CreateLogGroup: 1–512 characters of a-z, A-Z, 0-9, _ - / . #' };
const IAM_NAME = /^[\w+=,.@-]$/;
const CLOUDFRONT_POLICY: NameRule = {
  input: 'name',
  max: 128,
  chars: /^[A-Za-z0-9_-]$/,
  // The API reference states no limit; CloudFormation answers longer names with "Invalid request".
  source: 'unpublished CloudFront limit of 128, found through the console (aws/aws-cdk#18918 cache policies, #21524 response headers policies); characters kept to letters, digits, - and _',
};

export const NAMING: Record<string, TypeNaming> = {
  'aws:lambda/function:Function': { names: [LAMBDA] },
  'aws:lambda/permission:Permission': { names: [{ input: 'statementId', max: 100, chars: /^[a-zA-Z0-9_-]$/, source: 'Lambda API Reference, AddPermission: StatementId 1–100, ([a-zA-Z0-9-_]+)' }], autoNamed: true },
  'aws:lambda/eventSourceMapping:EventSourceMapping': { names: [] },
  'aws:lambda/alias:Alias': { names: [{ input: 'name', max: 128, chars: /^[a-zA-Z0-9_-]$/, source: 'Lambda API Reference, CreateAlias: Name 1–128, (?!^[0-9]+$)([a-zA-Z0-9-_]+)' }] },
  'aws:iam/role:Role': {
    names: [
      { input: 'name', max: 64, chars: IAM_NAME, source: 'IAM API Reference, CreateRole: RoleName 1–64, [\\w+=,.@-]+' },
      { input: 'namePrefix', max: 64 - NAME_PREFIX_SUFFIX, chars: IAM_NAME, source: 'RoleName 64 minus the 26 characters the provider appends' },
    ],
    autoNamed: true,
  },
  // Attaches a managed policy by ARN: nothing named.
  'aws:iam/rolePolicyAttachment:RolePolicyAttachment': { names: [] },
  'aws:iam/rolePolicy:RolePolicy': { names: [{ input: 'name', max: 128, chars: IAM_NAME, source: 'IAM API Reference, PutRolePolicy: PolicyName 1–128, [\\w+=,.@-]+' }], autoNamed: true },
  'aws:cloudwatch/logGroup:LogGroup': { names: [LOG_GROUP] },
  'aws:cloudwatch/metricAlarm:MetricAlarm': { names: [{ input: 'name', max: 255, chars: /^[\x20-\x7e]$/, source: 'CloudWatch API Reference, PutMetricAlarm: AlarmName 1–255' }] },
  'aws:cloudwatch/dashboard:Dashboard': { names: [{ input: 'dashboardName', max: 255, chars: /^[A-Za-z0-9_-]$/, source: 'CloudWatch API Reference, PutDashboard: "The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_""' }] },
  'aws:dynamodb/table:Table': { names: [{ input: 'name', max: 255, chars: /^[a-zA-Z0-9_.-]$/, source: 'DynamoDB Developer Guide, naming rules: table names 3–255 characters of a-z A-Z 0-9 _ - .' }] },
  'aws:dynamodb/kinesisStreamingDestination:KinesisStreamingDestination': { names: [] },
  'aws:kinesis/stream:Stream': { names: [{ input: 'name', max: 128, chars: /^[a-zA-Z0-9_.-]$/, source: 'Kinesis API Reference, CreateStream: StreamName 1–128, [a-zA-Z0-9_.-]+' }] },
  'aws:sqs/queue:Queue': { names: [{ input: 'name', max: 80, chars: /^[a-zA-Z0-9_-]$/, source: 'SQS API Reference, CreateQueue: "up to 80 characters … alphanumeric characters, hyphens (-), and underscores (_)"' }] },
  'aws:sns/topic:Topic': { names: [{ input: 'name', max: 256, chars: /^[a-zA-Z0-9_-]$/, source: 'SNS API Reference, CreateTopic: "uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, … between 1 and 256 characters"' }] },
  'aws:sns/topicSubscription:TopicSubscription': { names: [] },
  'aws:secretsmanager/secret:Secret': {
    names: [
      { input: 'name', max: 512, chars: /^[A-Za-z0-9/_+=.@-]$/, source: 'Secrets Manager API Reference, CreateSecret: Name up to 512 of ASCII letters, numbers and /_+=.@-' },
      { input: 'namePrefix', max: 512 - NAME_PREFIX_SUFFIX, chars: /^[A-Za-z0-9/_+=.@-]$/, source: 'Name 512 minus the 26 characters the provider appends' },
    ],
    autoNamed: true,
  },
  'aws:secretsmanager/secretVersion:SecretVersion': { names: [] },
  'aws:apigatewayv2/api:Api': { names: [{ input: 'name', max: 128, chars: /^[\x20-\x7e]$/, source: 'API Gateway documents no limit for HTTP API names; kept within 128 printable ASCII like the other console names' }] },
  'aws:apigatewayv2/stage:Stage': { names: [{ input: 'name', max: 128, chars: /^[A-Za-z0-9_$-]$/, source: 'API Gateway V2 API Reference, CreateStage: StageName up to 128; $default is the reserved default stage' }] },
  'aws:apigatewayv2/integration:Integration': { names: [] },
  'aws:apigatewayv2/route:Route': { names: [] },
  'aws:cloudfront/distribution:Distribution': { names: [{ input: 'comment', max: 128, chars: /^[\x20-\x7e]$/, source: 'CloudFront API Reference, DistributionConfig: Comment "cannot be longer than 128 characters"' }] },
  'aws:cloudfront/cachePolicy:CachePolicy': { names: [CLOUDFRONT_POLICY] },
  'aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy': { names: [CLOUDFRONT_POLICY] },
  'aws:cloudfront/originRequestPolicy:OriginRequestPolicy': { names: [CLOUDFRONT_POLICY] },
  'aws:acm/certificate:Certificate': { names: [] },
  'aws:acm/certificateValidation:CertificateValidation': { names: [] },
  'aws:route53/record:Record': { names: [] },
  'aws:codedeploy/application:Application': { names: [{ input: 'name', max: 100, chars: /^[\x20-\x7e]$/, source: 'CodeDeploy API Reference, CreateApplication: applicationName 1–100' }] },
  'aws:codedeploy/deploymentGroup:DeploymentGroup': { names: [{ input: 'deploymentGroupName', max: 100, chars: /^[\x20-\x7e]$/, source: 'CodeDeploy API Reference, CreateDeploymentGroup: deploymentGroupName 1–100' }] },
  // Not AWS resources: values generated into the Pulumi state.
  'random:index/randomPassword:RandomPassword': { names: [] },
  'random:index/randomBytes:RandomBytes': { names: [] },
  'random:index/randomUuid:RandomUuid': { names: [] },
  'random:index/randomId:RandomId': { names: [] },
};

/**
 * Characters every name built from `noops-todo-<stack>` may contain: the intersection of the rules
 * above (Lambda, SQS, SNS, dashboards and CloudFront policies accept no `.`).
 */
export const STACK_NAME_CHARS = /^[A-Za-z0-9_-]+$/;

/** The tightest budget over the program's names: a Lambda function name, 64 characters. */
export const LAMBDA_FUNCTION_NAME_MAX = LAMBDA.max;
