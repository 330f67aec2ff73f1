import { describe, expect, it, vi } from 'vitest';
import { tableDefinitions } from '../../local/dynamodb';
import { contractEnv, lambdaEnv, type LambdaEnvInput } from '../../local/lambda/environment';
import { environmentOf, RUNTIME_KEYS, type ReplicaDeclaration } from '../../topology/environment';
import { functions, physicalName, replicas, tables, type FunctionSpec } from '../../topology/index';
import { PREFIX, runProgram, type ProgramRun } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

const CORS_ORIGINS = ['https://admin.example.com'];
let withCors: Promise<ProgramRun> | undefined;
/** One program run with every optional binding set (CORS origins), shared by the per-function cases. */
const programWithCors = () => (withCors ??= (vi.resetModules(), runProgram({ corsOrigins: CORS_ORIGINS })));

/** The local runtime's environment of one function, as local/index.ts builds it. */
function localEnv(spec: FunctionSpec, declared: readonly ReplicaDeclaration[]): Record<string, string> {
  const input: LambdaEnvInput = {
    spec,
    replicas: declared,
    physicalName: (logical) => physicalName('', logical),
    endpoints: { dynamodb: 'http://127.0.0.1:1', secretsManager: 'http://127.0.0.1:2', kinesis: 'http://127.0.0.1:3' },
    sessionPublicKeys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }],
    signingKeySecretId: 'noops-todo/local/session-signing-key',
    originSecretId: 'noops-todo/local/origin-verify',
    originDigest: 'ab'.repeat(32),
    tracesEndpoint: 'http://127.0.0.1:4318/v1/traces',
    publicBaseUrl: 'http://127.0.0.1:3000',
    corsOrigins: CORS_ORIGINS,
    logLevel: 'INFO',
    taskRoot: '/dist/functions/x',
    path: '/usr/bin',
  };
  return lambdaEnv(input);
}

/** Keys Lambda sets itself or that only point the local SDK at the embedded servers: not the contract. */
const notContract = new Set<string>([...RUNTIME_KEYS.lambda, ...RUNTIME_KEYS.localOverrides]);
const contractKeys = (env: Record<string, unknown>) => Object.keys(env).filter((k) => !notContract.has(k)).sort();
const awsEnv = (run: ProgramRun, name: string): Record<string, string> => run.find('aws:lambda/function:Function', `${name}-function-fn`).inputs.environment.variables;

/** Stack config `replicas` for a list of declarations: the read model by attribute names. */
const asStackConfig = (declared: readonly ReplicaDeclaration[]) => declared.map(({ readModel, ...r }) => ({ ...r, attributes: Object.keys(readModel) }));

describe('one environment contract for both runtimes', () => {
  it.each(functions.map((f) => [f.name, f]))('%s gets the same keys locally and on AWS, exactly the ones topology declares', async (_name, spec) => {
    // Act
    const run = await programWithCors();
    const local = contractKeys(localEnv(spec, replicas));
    const aws = contractKeys(awsEnv(run, spec.name));

    // Assess
    expect(local).toEqual(aws);
    expect(aws).toEqual(Object.keys(environmentOf(spec, replicas)).sort());
  });

  it('sets the service name and the metrics namespace in both runtimes, from topology', async () => {
    // Act
    vi.resetModules();
    const run = await runProgram();

    // Assess
    for (const spec of functions) {
      const local = localEnv(spec, replicas);
      const aws = awsEnv(run, spec.name);
      expect([local.POWERTOOLS_SERVICE_NAME, local.POWERTOOLS_METRICS_NAMESPACE]).toEqual([spec.name, 'noops-todo']);
      expect([aws.POWERTOOLS_SERVICE_NAME, aws.POWERTOOLS_METRICS_NAMESPACE]).toEqual([spec.name, 'noops-todo']);
    }
  });

  it('leaves CORS_ALLOWED_ORIGINS unset in both runtimes when no extra origin is allowed', async () => {
    // Act
    vi.resetModules();
    const run = await runProgram();
    const local = contractEnv({ ...localInput(), corsOrigins: [] });

    // Assess
    expect(local).not.toHaveProperty('CORS_ALLOWED_ORIGINS');
    expect(awsEnv(run, 'rule')).not.toHaveProperty('CORS_ALLOWED_ORIGINS');
  });
});

function localInput() {
  return {
    spec: functions.find((f) => f.name === 'rule')!,
    replicas,
    physicalName: (logical: string) => logical,
    sessionPublicKeys: [],
    signingKeySecretId: 's',
    originSecretId: 'o',
    originDigest: 'ab'.repeat(32),
    tracesEndpoint: 'http://127.0.0.1:4318/v1/traces',
    publicBaseUrl: 'http://127.0.0.1:3000',
    logLevel: 'INFO',
  };
}

describe('adding a replica touches topology only', () => {
  // A copy of topology's replicas with one more: the rule service reading the users' avatars.
  const added: ReplicaDeclaration = { name: 'avatars-for-rule', source: 'users', reader: 'rule', envVar: 'AVATARS_REPLICA_TABLE', readModel: { avatar: 'S', displayName: 'S' } };
  const copy: readonly ReplicaDeclaration[] = [...replicas.map((r) => ({ ...r })), added];

  it('gives its reader the replica and the replicator its feed, locally and on AWS, with the same keys', async () => {
    // Act
    vi.resetModules();
    const run = await runProgram({ replicas: asStackConfig(copy), corsOrigins: CORS_ORIGINS });
    const rule = functions.find((f) => f.name === 'rule')!;
    const replicator = functions.find((f) => f.name === 'replicator')!;

    // Assess
    expect(localEnv(rule, copy).AVATARS_REPLICA_TABLE).toBe('avatars-for-rule');
    expect(awsEnv(run, 'rule').AVATARS_REPLICA_TABLE).toBe(`${PREFIX}-avatars-for-rule`);
    const feed = { attributes: { avatar: 'S', displayName: 'S' } };
    expect(JSON.parse(localEnv(replicator, copy).REPLICAS!)).toContainEqual({ replica: 'avatars-for-rule', source: 'users', ...feed });
    expect(JSON.parse(awsEnv(run, 'replicator').REPLICAS!)).toContainEqual({ replica: `${PREFIX}-avatars-for-rule`, source: `${PREFIX}-users`, ...feed });
    for (const spec of functions) expect(contractKeys(localEnv(spec, copy))).toEqual(contractKeys(awsEnv(run, spec.name)));
  });

  it('creates its table with the source\'s key schema in both runtimes and grants its reader read access only', async () => {
    // Act
    vi.resetModules();
    const run = await runProgram({ replicas: asStackConfig(copy) });
    const table = run.find('aws:dynamodb/table:Table', 'avatars-for-rule-table').inputs;
    const policy = JSON.parse(run.find('aws:iam/rolePolicy:RolePolicy', 'rule-function-policy').inputs.policy);
    const arn = `arn:aws:dynamodb:eu-west-1:123456789012:table/${PREFIX}-avatars-for-rule`;

    // Assess
    expect(table).toMatchObject({ name: `${PREFIX}-avatars-for-rule`, hashKey: 'userName', attributes: [{ name: 'userName', type: 'S' }] });
    expect(tableDefinitions(tables, copy, (logical) => logical)).toContainEqual({ name: 'avatars-for-rule', hashKey: { name: 'userName', type: 'S' } });
    const onReplica = policy.Statement.filter((s: { Resource: string[] }) => s.Resource.includes(arn));
    expect(onReplica.flatMap((s: { Action: string[] }) => s.Action)).not.toContain('dynamodb:PutItem');
    expect(onReplica.flatMap((s: { Action: string[] }) => s.Action)).toContain('dynamodb:GetItem');
  });
});
