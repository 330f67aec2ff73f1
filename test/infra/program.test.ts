import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CHANGE_CONSUMER, functions, routes, tables, TOMBSTONE_TTL_ATTRIBUTE } from '../../topology/index';
import { PREFIX, REGION, runProgram, secretValue, type ProgramRun, type RecordedResource } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
});

const fnOf = (name: string) => run.find('aws:lambda/function:Function', `${name}-function-fn`);
const env = (name: string): Record<string, string> => fnOf(name).inputs.environment.variables;

describe('HTTP API', () => {
  it('is an HTTP API whose $default stage auto-deploys, throttles and writes access logs to its own group', () => {
    expect(run.find('aws:apigatewayv2/api:Api', 'api-api').inputs.protocolType).toBe('HTTP');
    const stage = run.find('aws:apigatewayv2/stage:Stage', 'api-stage').inputs;
    expect(stage).toMatchObject({ name: '$default', autoDeploy: true, defaultRouteSettings: { throttlingRateLimit: 50, throttlingBurstLimit: 100 } });
    expect(stage.accessLogSettings.destinationArn).toBe(`arn:aws:logs:${REGION}:123456789012:log-group:/aws/apigateway/${PREFIX}`);
    expect(JSON.parse(stage.accessLogSettings.format)).toHaveProperty('requestId', '$context.requestId');
    expect(run.find('aws:apigatewayv2/api:Api', 'api-api').inputs.corsConfiguration).toBeUndefined();
  });

  it.each(routes.map((r) => [r.routeKey, r.function]))('routes %s to the %s function\'s live alias through a 2.0 proxy integration with an invoke permission on the alias', (routeKey, fn) => {
    const route = run.ofType('aws:apigatewayv2/route:Route').find((r) => r.inputs.routeKey === routeKey);
    expect(route).toBeDefined();
    const integrationId = route!.inputs.target.replace('integrations/', '');
    const integration = run.ofType('aws:apigatewayv2/integration:Integration').find((i) => `${i.name}-id` === integrationId)!;
    expect(integration.inputs).toMatchObject({ integrationType: 'AWS_PROXY', payloadFormatVersion: '2.0', integrationUri: `arn:aws:lambda:${REGION}:123456789012:function:${PREFIX}-${fn}:live` });
    const permission = run.ofType('aws:lambda/permission:Permission').find((p) => p.name === route!.name.replace(/-route$/, '-permission'))!;
    expect(permission.inputs).toMatchObject({ action: 'lambda:InvokeFunction', principal: 'apigateway.amazonaws.com', function: `${PREFIX}-${fn}`, qualifier: 'live' });
    expect(permission.inputs.sourceArn.startsWith(`arn:aws:execute-api:${REGION}:123456789012:api-api-id/`)).toBe(true);
  });

  it('scopes each permission to its route, with path parameters as wildcards', () => {
    const arnOf = (name: string) => run.find('aws:lambda/permission:Permission', name).inputs.sourceArn;
    expect(arnOf('api-patch-api-todos-id-permission')).toMatch(/api-api-id\/\*\/PATCH\/api\/todos\/\*$/);
    expect(arnOf('api-get-api-rule-permission')).toMatch(/api-api-id\/\*\/GET\/api\/rule$/);
    expect(arnOf('api-default-permission')).toMatch(/api-api-id\/\*\/\*$/);
    expect(run.ofType('aws:apigatewayv2/route:Route')).toHaveLength(routes.length);
  });
});

describe('functions', () => {
  it('deploys every Lambda function of the program on nodejs24.x, Lambda\'s current Node runtime', () => {
    const deployed = run.ofType('aws:lambda/function:Function');
    expect(deployed.length).toBeGreaterThanOrEqual(functions.length);
    expect(deployed.map((f) => [f.name, f.inputs.runtime])).toEqual(deployed.map((f) => [f.name, 'nodejs24.x']));
  });

  it.each(functions.map((f) => [f.name]))('%s runs nodejs24.x on arm64 with tracing, its own role and its own log group', (name) => {
    const spec = functions.find((f) => f.name === name)!;
    const fn = fnOf(name).inputs;
    const logGroup = run.find('aws:cloudwatch/logGroup:LogGroup', `${name}-function-logs`).inputs;
    expect(fn).toMatchObject({
      name: `${PREFIX}-${name}`,
      runtime: 'nodejs24.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      memorySize: spec.memoryMb,
      timeout: spec.timeoutSeconds,
      tracingConfig: { mode: 'PassThrough' },
      loggingConfig: { logGroup: logGroup.name },
      role: `arn:aws:iam::123456789012:role/${name}-function-role`,
    });
    expect(logGroup).toMatchObject({ name: `/aws/lambda/${PREFIX}-${name}`, retentionInDays: 14 });
    expect(JSON.parse(run.find('aws:iam/role:Role', `${name}-function-role`).inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: 'lambda.amazonaws.com' });
  });

  it('gives every function the shared settings and each its own table names', () => {
    for (const spec of functions) {
      expect(env(spec.name)).toMatchObject({
        PUBLIC_BASE_URL: 'https://d111111abcdef8.cloudfront.net',
        COOKIE_SECURE: 'true',
        LOG_LEVEL: 'INFO',
        POWERTOOLS_SERVICE_NAME: spec.name,
      });
      for (const table of spec.ownsTables) expect(env(spec.name)[tables.find((t) => t.name === table)!.envVar]).toBe(`${PREFIX}-${table}`);
    }
    expect(env('rule').USERS_REPLICA_TABLE).toBe(`${PREFIX}-users-replica-for-rule`);
    expect(env('user').RULES_REPLICA_TABLE).toBe(`${PREFIX}-rules-replica-for-user`);
    expect(JSON.parse(env('replicator').REPLICAS!)).toEqual([
      { replica: `${PREFIX}-rules-replica-for-user`, source: `${PREFIX}-rules`, attributes: { status: 'N' } },
      { replica: `${PREFIX}-users-replica-for-rule`, source: `${PREFIX}-users`, attributes: { userId: 'S', displayName: 'S', sessionVersion: 'N' } },
    ]);
    // The event source mapping reads the stream; no function reads its name.
    for (const spec of functions) expect(env(spec.name)).not.toHaveProperty('CHANGE_STREAM_NAME');
  });

  it('hands out the session key by reference: public JWKS to verifiers, the secret ARN to the signer only', () => {
    const secretArn = `arn:aws:secretsmanager:${REGION}:123456789012:secret:${PREFIX}-session-signing-key-abc-AbCdEf`;
    // secretValue() throws unless the engine received the private key marked as a Pulumi secret.
    const stored = JSON.parse(secretValue(run.find('aws:secretsmanager/secretVersion:SecretVersion', 'session-key-version').inputs.secretString));
    expect(stored).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(stored.d).toEqual(expect.any(String));
    for (const name of ['rule', 'user', 'replicator']) {
      const publicJwks = JSON.parse(env(name).SESSION_PUBLIC_KEYS!);
      expect(publicJwks).toEqual({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: stored.x, kid: stored.kid, alg: 'EdDSA', use: 'sig' }] });
    }
    expect(env('user').SESSION_SIGNING_KEY_SECRET).toBe(secretArn);
    for (const name of ['static', 'rule', 'replicator']) expect(env(name)).not.toHaveProperty('SESSION_SIGNING_KEY_SECRET');
    expect(env('static')).not.toHaveProperty('SESSION_PUBLIC_KEYS');
  });

  it('never puts secret material in plain text into any environment', () => {
    const secretString = secretValue(run.find('aws:secretsmanager/secretVersion:SecretVersion', 'session-key-version').inputs.secretString);
    const privateD = JSON.parse(secretString).d;
    for (const fn of run.ofType('aws:lambda/function:Function')) {
      const values = Object.values(fn.inputs.environment.variables as Record<string, unknown>);
      // Plain strings only (a secret-wrapped value would mean something secret was wired in)...
      expect(values.every((v) => typeof v === 'string')).toBe(true);
      // ...and none of them carries the private key.
      expect(values.some((v) => (v as string).includes(privateD) || v === secretString)).toBe(false);
    }
  });
});

describe('tables', () => {
  it.each(tables.map((t) => [t.name]))('%s is on-demand with PITR, KMS encryption and its topology key schema', (name) => {
    const spec = tables.find((t) => t.name === name)!;
    const table = run.ofType('aws:dynamodb/table:Table').find((t) => t.inputs.name === `${PREFIX}-${name}`)!.inputs;
    expect(table).toMatchObject({
      billingMode: 'PAY_PER_REQUEST',
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: false,
      hashKey: spec.hashKey.name,
    });
    expect(table.rangeKey).toBe(spec.rangeKey?.name);
    expect(table.ttl).toEqual(spec.ttlAttribute ? { attributeName: spec.ttlAttribute, enabled: true } : undefined);
  });

  it('streams exactly the streamed tables into the change stream with MICROSECOND precision', () => {
    const destinations = run.ofType('aws:dynamodb/kinesisStreamingDestination:KinesisStreamingDestination').map((d) => d.inputs);
    expect(destinations.map((d) => d.tableName).sort()).toEqual(tables.filter((t) => t.streamed).map((t) => `${PREFIX}-${t.name}`).sort());
    for (const d of destinations) {
      expect(d).toMatchObject({ streamArn: `arn:aws:kinesis:${REGION}:123456789012:stream/${PREFIX}-changes`, approximateCreationDateTimePrecision: 'MICROSECOND' });
    }
  });

  it('creates each configured replica with its source key schema and TTL on the tombstone attribute', () => {
    const replica = run.find('aws:dynamodb/table:Table', 'users-replica-for-rule-table').inputs;
    expect(replica).toMatchObject({ name: `${PREFIX}-users-replica-for-rule`, hashKey: 'userName', billingMode: 'PAY_PER_REQUEST', ttl: { attributeName: TOMBSTONE_TTL_ATTRIBUTE, enabled: true } });
    expect(run.find('aws:dynamodb/table:Table', 'rules-replica-for-user-table').inputs).toMatchObject({ hashKey: 'userId', rangeKey: 'key' });
  });
});

describe('change stream', () => {
  it('is an on-demand stream encrypted with the AWS-managed key', () => {
    const stream = run.find('aws:kinesis/stream:Stream', 'changes-stream').inputs;
    expect(stream).toMatchObject({ name: `${PREFIX}-changes`, streamModeDetails: { streamMode: 'ON_DEMAND' }, retentionPeriod: 24, encryptionType: 'KMS', kmsKeyId: 'alias/aws/kinesis' });
    expect(stream.shardCount).toBeUndefined();
  });

  it('feeds the replicator\'s live alias with the CHANGE_CONSUMER settings, partial batch responses and an SQS on-failure destination', () => {
    const mappings = run.ofType('aws:lambda/eventSourceMapping:EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.inputs).toMatchObject({
      eventSourceArn: `arn:aws:kinesis:${REGION}:123456789012:stream/${PREFIX}-changes`,
      functionName: `arn:aws:lambda:${REGION}:123456789012:function:${PREFIX}-replicator:live`,
      startingPosition: 'TRIM_HORIZON',
      batchSize: CHANGE_CONSUMER.batchSize,
      maximumBatchingWindowInSeconds: CHANGE_CONSUMER.maximumBatchingWindowSeconds,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: CHANGE_CONSUMER.maximumRetryAttempts,
      maximumRecordAgeInSeconds: CHANGE_CONSUMER.maximumRecordAgeSeconds,
      parallelizationFactor: CHANGE_CONSUMER.parallelizationFactor,
      functionResponseTypes: ['ReportBatchItemFailures'],
      destinationConfig: { onFailure: { destinationArn: `arn:aws:sqs:${REGION}:123456789012:${PREFIX}-changes-failures` } },
    });
    expect(run.find('aws:sqs/queue:Queue', 'changes-failures').inputs).toMatchObject({ sqsManagedSseEnabled: true, messageRetentionSeconds: 1_209_600 });
  });
});

describe('stack shape', () => {
  it('names every child after its parent component (SST rule)', () => {
    const children = run.resources.filter((r): r is RecordedResource & { parent: string } => r.parent !== undefined && !r.parent.startsWith(`${PREFIX}`));
    expect(children.length).toBeGreaterThan(50);
    for (const child of children) expect(child.name.startsWith(`${child.parent}-`), `${child.type} ${child.name} under ${child.parent}`).toBe(true);
    const topLevel = run.resources.filter((r) => r.parent === undefined || r.parent.startsWith(PREFIX));
    expect(topLevel.every((r) => !r.custom), topLevel.filter((r) => r.custom).map((r) => r.name).join()).toBe(true);
  });

  it('exports what `npm run logs` and `npm run replicas` read', () => {
    expect(run.outputs).toMatchObject({
      siteUrl: 'https://d111111abcdef8.cloudfront.net',
      apiUrl: expect.stringMatching(/^https:\/\/.+\.execute-api\./),
      tableNames: { rules: `${PREFIX}-rules`, users: `${PREFIX}-users`, 'login-attempts': `${PREFIX}-login-attempts`, 'replication-state': `${PREFIX}-replication-state` },
      replicaTableNames: { 'rules-replica-for-user': `${PREFIX}-rules-replica-for-user`, 'users-replica-for-rule': `${PREFIX}-users-replica-for-rule` },
      streamName: `${PREFIX}-changes`,
      failureQueueUrl: expect.stringContaining(`${PREFIX}-changes-failures`),
      logGroupNames: Object.fromEntries(functions.map((f) => [f.name, `/aws/lambda/${PREFIX}-${f.name}`])),
    });
  });

  it('alarms on errors, throttles, iterator age, the failure queue and API 5xx, without e-mail by default', () => {
    const alarms = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').filter((a) => a.parent === 'alarms').map((a) => `${a.inputs.namespace}/${a.inputs.metricName}`);
    expect(new Set(alarms)).toEqual(new Set(['AWS/Lambda/Errors', 'AWS/Lambda/Throttles', 'AWS/Lambda/IteratorAge', 'AWS/SQS/ApproximateNumberOfMessagesVisible', 'AWS/ApiGateway/5xx']));
    expect(alarms).toHaveLength(functions.length * 2 + 3);
    expect(run.ofType('aws:sns/topicSubscription:TopicSubscription')).toHaveLength(0);
    const dashboard = JSON.parse(run.find('aws:cloudwatch/dashboard:Dashboard', 'alarms-dashboard').inputs.dashboardBody);
    expect(dashboard.widgets).toHaveLength(alarms.length);
    expect(dashboard.widgets[0].properties.region).toBe(REGION);
  });
});
