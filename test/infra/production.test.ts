import { beforeAll, describe, expect, it, vi } from 'vitest';
import { PREFIX, runProgram, type ProgramRun } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({
    production: true,
    customDomain: 'todo.example.com',
    hostedZoneId: 'Z0123456789ABC',
    alarmEmail: 'ops@example.com',
    corsOrigins: ['https://admin.example.com'],
    kinesisMode: 'PROVISIONED',
    kinesisShardCount: 2,
    kinesisRetentionHours: 48,
    logRetentionDays: 30,
    lambdaMemoryMb: { user: 1536 },
    reservedConcurrency: { replicator: 2 },
    replicas: [
      { name: 'users-replica-for-rule', source: 'users', reader: 'rule', envVar: 'USERS_REPLICA_TABLE' },
      { name: 'rules-replica-for-user', source: 'rules', reader: 'user', envVar: 'RULES_REPLICA_TABLE' },
      { name: 'avatars-replica-for-static', source: 'users', reader: 'static', envVar: 'AVATARS_TABLE', attributes: ['avatar'] },
    ],
  });
});

describe('a production stack with every option set', () => {
  it('protects owned tables from deletion, but not the disposable replicas', () => {
    for (const t of run.ofType('aws:dynamodb/table:Table')) {
      expect(t.inputs.deletionProtectionEnabled ?? false, t.inputs.name).toBe(!t.inputs.name.includes('-replica-'));
    }
    expect(run.find('aws:secretsmanager/secret:Secret', 'session-key-secret').inputs.recoveryWindowInDays).toBe(30);
  });

  it('makes Pulumi refuse to replace or delete an owned table, but lets a replica be deleted first and rebuilt', () => {
    for (const t of run.ofType('aws:dynamodb/table:Table')) {
      const owned = !t.inputs.name.includes('-replica-');
      expect({ table: t.inputs.name, protect: t.options.protect, deleteBeforeReplace: t.options.deleteBeforeReplace }).toEqual({ table: t.inputs.name, protect: owned, deleteBeforeReplace: !owned });
    }
  });

  it('serves the custom domain with a DNS-validated us-east-1 certificate and alias records', () => {
    expect(run.find('aws:acm/certificate:Certificate', 'site-domain-certificate').inputs).toMatchObject({ domainName: 'todo.example.com', validationMethod: 'DNS', region: 'us-east-1' });
    expect(run.find('aws:acm/certificateValidation:CertificateValidation', 'site-domain-validated').inputs).toMatchObject({ region: 'us-east-1', validationRecordFqdns: ['_x.todo.example.com.'] });
    const cdn = run.find('aws:cloudfront/distribution:Distribution', 'site-cdn').inputs;
    expect(cdn.aliases).toEqual(['todo.example.com']);
    expect(cdn.viewerCertificate).toMatchObject({ acmCertificateArn: expect.stringContaining('certificate/site-domain-certificate'), sslSupportMethod: 'sni-only' });
    const aliases = run.ofType('aws:route53/record:Record').filter((r) => r.inputs.aliases);
    expect(aliases.map((r) => r.inputs.type).sort()).toEqual(['A', 'AAAA']);
    for (const fn of run.ofType('aws:lambda/function:Function')) expect(fn.inputs.environment.variables.PUBLIC_BASE_URL).toBe('https://todo.example.com');
  });

  it('subscribes the alarm e-mail', () => {
    expect(run.find('aws:sns/topicSubscription:TopicSubscription', 'alarms-email').inputs).toMatchObject({ protocol: 'email', endpoint: 'ops@example.com' });
  });

  it('allows the configured CORS origins with credentials, at the API and in the functions\' CSRF check', () => {
    expect(run.find('aws:apigatewayv2/api:Api', 'api-api').inputs.corsConfiguration).toMatchObject({ allowOrigins: ['https://admin.example.com'], allowCredentials: true });
    for (const fn of run.ofType('aws:lambda/function:Function')) expect(fn.inputs.environment.variables.CORS_ALLOWED_ORIGINS).toBe('https://admin.example.com');
  });

  it('applies stream, log and function settings from config', () => {
    expect(run.find('aws:kinesis/stream:Stream', 'changes-stream').inputs).toMatchObject({ streamModeDetails: { streamMode: 'PROVISIONED' }, shardCount: 2, retentionPeriod: 48 });
    for (const g of run.ofType('aws:cloudwatch/logGroup:LogGroup')) expect(g.inputs.retentionInDays).toBe(30);
    expect(run.find('aws:lambda/function:Function', 'user-function-fn').inputs.memorySize).toBe(1536);
    expect(run.find('aws:lambda/function:Function', 'replicator-function-fn').inputs.reservedConcurrentExecutions).toBe(2);
    expect(run.find('aws:lambda/function:Function', 'rule-function-fn').inputs.reservedConcurrentExecutions).toBe(-1);
  });

  it('creates only the configured replicas and tells only their readers', () => {
    expect(run.ofType('aws:dynamodb/table:Table').map((t) => t.inputs.name).filter((n) => n.includes('-replica-')).sort()).toEqual([`${PREFIX}-avatars-replica-for-static`, `${PREFIX}-rules-replica-for-user`, `${PREFIX}-users-replica-for-rule`]);
    expect(run.find('aws:lambda/function:Function', 'static-function-fn').inputs.environment.variables).toHaveProperty('AVATARS_TABLE');
    for (const fn of ['user', 'rule']) expect(run.find('aws:lambda/function:Function', `${fn}-function-fn`).inputs.environment.variables).not.toHaveProperty('AVATARS_TABLE');
    expect(JSON.parse(run.find('aws:lambda/function:Function', 'replicator-function-fn').inputs.environment.variables.REPLICAS)).toHaveLength(3);
  });
});
