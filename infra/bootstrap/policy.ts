/**
 * The IAM policy of one stack's CI deploy role, as plain data: every action named (no `service:*`), and
 * every resource inside the stack's name prefix `noops-todo-<stack>-` except where AWS offers no
 * resource-level permission (said at each statement). The deployer manages resources; it never reads or
 * writes their data (no dynamodb:GetItem, kinesis:GetRecords, sqs:ReceiveMessage …). Covers what
 * infra/ creates without a custom domain; a stack with `customDomain` also needs ACM and Route 53.
 */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface DeployPolicyArgs {
  /** `noops-todo-<stack>`. */
  prefix: string;
  project: string;
  stack: string;
  region: string;
  account: string;
  stateBucket: string;
  stateKeyArn: string;
}

const CODEDEPLOY_LAMBDA_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited';

export function deployPolicy(a: DeployPolicyArgs): PolicyStatement[] {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${a.region}:${a.account}:${resource}`;
  const p = a.prefix;
  return [
    ...statePolicy(a, 'readwrite'),
    {
      Sid: 'Functions',
      Effect: 'Allow',
      Action: ['lambda:CreateFunction', 'lambda:DeleteFunction', 'lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:GetFunctionCodeSigningConfig', 'lambda:GetRuntimeManagementConfig', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:PublishVersion', 'lambda:ListVersionsByFunction', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency', 'lambda:GetFunctionConcurrency', 'lambda:GetPolicy', 'lambda:AddPermission', 'lambda:RemovePermission', 'lambda:CreateAlias', 'lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:DeleteAlias', 'lambda:ListTags', 'lambda:TagResource', 'lambda:UntagResource'],
      Resource: [arn('lambda', `function:${p}-*`), arn('lambda', `function:${p}-*:*`)],
    },
    {
      // Event source mappings have random UUIDs; creating one is allowed only for the stack's functions.
      Sid: 'CreateEventSourceMapping',
      Effect: 'Allow',
      Action: ['lambda:CreateEventSourceMapping'],
      Resource: ['*'],
      Condition: { ArnLike: { 'lambda:FunctionArn': arn('lambda', `function:${p}-*`) } },
    },
    {
      Sid: 'EventSourceMappings',
      Effect: 'Allow',
      Action: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'],
      Resource: [arn('lambda', 'event-source-mapping:*')],
      Condition: { ArnLike: { 'lambda:FunctionArn': arn('lambda', `function:${p}-*`) } },
    },
    {
      Sid: 'Roles',
      Effect: 'Allow',
      Action: ['iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:UpdateRole', 'iam:UpdateRoleDescription', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole', 'iam:ListRoleTags', 'iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:ListInstanceProfilesForRole'],
      Resource: [`arn:aws:iam::${a.account}:role/${p}-*`],
    },
    {
      // The only managed policy the stack uses: CodeDeploy's, on the stack's CodeDeploy role.
      Sid: 'AttachCodeDeployPolicy',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: [`arn:aws:iam::${a.account}:role/${p}-codedeploy`],
      Condition: { ArnEquals: { 'iam:PolicyARN': CODEDEPLOY_LAMBDA_POLICY } },
    },
    {
      Sid: 'PassRoles',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: [`arn:aws:iam::${a.account}:role/${p}-*`],
      Condition: { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'codedeploy.amazonaws.com'] } },
    },
    {
      Sid: 'Tables',
      Effect: 'Allow',
      Action: ['dynamodb:CreateTable', 'dynamodb:DeleteTable', 'dynamodb:DescribeTable', 'dynamodb:UpdateTable', 'dynamodb:DescribeContinuousBackups', 'dynamodb:UpdateContinuousBackups', 'dynamodb:DescribeTimeToLive', 'dynamodb:UpdateTimeToLive', 'dynamodb:ListTagsOfResource', 'dynamodb:TagResource', 'dynamodb:UntagResource', 'dynamodb:EnableKinesisStreamingDestination', 'dynamodb:DisableKinesisStreamingDestination', 'dynamodb:DescribeKinesisStreamingDestination', 'dynamodb:UpdateKinesisStreamingDestination'],
      Resource: [arn('dynamodb', `table/${p}-*`)],
    },
    {
      Sid: 'Stream',
      Effect: 'Allow',
      Action: ['kinesis:CreateStream', 'kinesis:DeleteStream', 'kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:AddTagsToStream', 'kinesis:RemoveTagsFromStream', 'kinesis:ListTagsForStream', 'kinesis:IncreaseStreamRetentionPeriod', 'kinesis:DecreaseStreamRetentionPeriod', 'kinesis:StartStreamEncryption', 'kinesis:StopStreamEncryption', 'kinesis:UpdateShardCount', 'kinesis:UpdateStreamMode'],
      Resource: [arn('kinesis', `stream/${p}-*`)],
    },
    {
      Sid: 'Queue',
      Effect: 'Allow',
      Action: ['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:TagQueue', 'sqs:UntagQueue', 'sqs:ListQueueTags'],
      Resource: [arn('sqs', `${p}-*`)],
    },
    {
      Sid: 'Topic',
      Effect: 'Allow',
      Action: ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:TagResource', 'sns:UntagResource', 'sns:ListTagsForResource', 'sns:Subscribe', 'sns:Unsubscribe', 'sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes'],
      Resource: [arn('sns', `${p}-*`)],
    },
    {
      Sid: 'LogGroups',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource', 'logs:ListTagsLogGroup'],
      Resource: [arn('logs', `log-group:/aws/lambda/${p}-*`), arn('logs', `log-group:/aws/apigateway/${p}`), arn('logs', `log-group:/aws/apigateway/${p}:*`)],
    },
    {
      // The provider finds a log group by listing names with a prefix: a read of names, not of logs.
      Sid: 'FindLogGroups',
      Effect: 'Allow',
      Action: ['logs:DescribeLogGroups'],
      Resource: [arn('logs', 'log-group:*')],
    },
    {
      // HTTP API access logging goes through CloudWatch Logs' vended-log delivery, whose actions take no
      // resource ARN ("Enabling logging from AWS services", Amazon CloudWatch Logs User Guide).
      Sid: 'AccessLogDelivery',
      Effect: 'Allow',
      Action: ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies'],
      Resource: ['*'],
    },
    {
      Sid: 'AlarmsAndDashboard',
      Effect: 'Allow',
      Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms', 'cloudwatch:TagResource', 'cloudwatch:UntagResource', 'cloudwatch:ListTagsForResource', 'cloudwatch:PutDashboard', 'cloudwatch:GetDashboard', 'cloudwatch:DeleteDashboards'],
      Resource: [arn('cloudwatch', `alarm:${p}-*`), `arn:aws:cloudwatch::${a.account}:dashboard/${p}`],
    },
    {
      // The provider reads a SecretVersion back to detect drift: GetSecretValue on the stack's secret only.
      Sid: 'SessionKeySecret',
      Effect: 'Allow',
      Action: ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:UpdateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:GetResourcePolicy', 'secretsmanager:TagResource', 'secretsmanager:UntagResource'],
      Resource: [arn('secretsmanager', `secret:${p}-*`)],
    },
    {
      // HTTP APIs are addressed by generated ids, so the resource cannot carry the stack's name.
      Sid: 'HttpApi',
      Effect: 'Allow',
      Action: ['apigateway:GET', 'apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE', 'apigateway:TagResource', 'apigateway:UntagResource'],
      Resource: [`arn:aws:apigateway:${a.region}::/apis`, `arn:aws:apigateway:${a.region}::/apis/*`, `arn:aws:apigateway:${a.region}::/tags/*`],
    },
    {
      // Distributions and policies are addressed by generated ids too (CloudFront is global: no region).
      Sid: 'Cdn',
      Effect: 'Allow',
      Action: ['cloudfront:CreateDistribution', 'cloudfront:GetDistribution', 'cloudfront:GetDistributionConfig', 'cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution', 'cloudfront:TagResource', 'cloudfront:UntagResource', 'cloudfront:ListTagsForResource', 'cloudfront:CreateCachePolicy', 'cloudfront:GetCachePolicy', 'cloudfront:UpdateCachePolicy', 'cloudfront:DeleteCachePolicy', 'cloudfront:CreateResponseHeadersPolicy', 'cloudfront:GetResponseHeadersPolicy', 'cloudfront:UpdateResponseHeadersPolicy', 'cloudfront:DeleteResponseHeadersPolicy', 'cloudfront:GetOriginRequestPolicy'],
      Resource: [`arn:aws:cloudfront::${a.account}:distribution/*`, `arn:aws:cloudfront::${a.account}:cache-policy/*`, `arn:aws:cloudfront::${a.account}:response-headers-policy/*`, `arn:aws:cloudfront::${a.account}:origin-request-policy/*`],
    },
    {
      Sid: 'Rollout',
      Effect: 'Allow',
      Action: ['codedeploy:CreateApplication', 'codedeploy:GetApplication', 'codedeploy:DeleteApplication', 'codedeploy:TagResource', 'codedeploy:UntagResource', 'codedeploy:ListTagsForResource', 'codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision', 'codedeploy:CreateDeploymentGroup', 'codedeploy:GetDeploymentGroup', 'codedeploy:UpdateDeploymentGroup', 'codedeploy:DeleteDeploymentGroup', 'codedeploy:CreateDeployment', 'codedeploy:GetDeployment', 'codedeploy:StopDeployment', 'codedeploy:ListDeployments'],
      Resource: [arn('codedeploy', `application:${p}`), arn('codedeploy', `deploymentgroup:${p}/*`)],
    },
    {
      Sid: 'RolloutConfigs',
      Effect: 'Allow',
      Action: ['codedeploy:GetDeploymentConfig'],
      Resource: [arn('codedeploy', 'deploymentconfig:CodeDeployDefault.Lambda*')],
    },
  ];
}

/**
 * The stack's own objects in the S3 state backend and the KMS key that encrypts them and its secrets.
 * Paths follow Pulumi's project-scoped DIY backend layout (`.pulumi/stacks/<project>/<stack>.json`,
 * and per-stack folders under locks/, history/ and backups/), so one stack's role cannot touch another's state.
 */
export function statePolicy(a: Pick<DeployPolicyArgs, 'project' | 'stack' | 'stateBucket' | 'stateKeyArn'>, access: 'read' | 'readwrite'): PolicyStatement[] {
  const bucket = `arn:aws:s3:::${a.stateBucket}`;
  const objects = [
    `${bucket}/.pulumi/meta.yaml`,
    `${bucket}/.pulumi/stacks/${a.project}/${a.stack}.json*`,
    `${bucket}/.pulumi/locks/organization/${a.project}/${a.stack}/*`,
    `${bucket}/.pulumi/history/organization/${a.project}/${a.stack}/*`,
    `${bucket}/.pulumi/backups/organization/${a.project}/${a.stack}/*`,
  ];
  return [
    { Sid: 'StateList', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket], Condition: { StringLike: { 's3:prefix': ['.pulumi/*'] } } },
    { Sid: 'StateObjects', Effect: 'Allow', Action: access === 'read' ? ['s3:GetObject'] : ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: objects },
    { Sid: 'StateKey', Effect: 'Allow', Action: access === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], Resource: [a.stateKeyArn] },
  ];
}
