import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { FunctionName } from '../../topology/index';
import { ACCOUNT, PREFIX, REGION, runProgram, type ProgramRun } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

const READ = ['dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'];
const READ_WRITE = [...READ, 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
// The replicator never reads a replica: one conditional PutItem per change, status from its own state table.
const REPLICA_WRITE = ['dynamodb:PutItem'];
const INDEX_READ = ['dynamodb:Query', 'dynamodb:Scan'];
const STREAM_READ = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kinesis:SubscribeToShard'];

const table = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${PREFIX}-${name}`;
/** A table's item access: the table ARN, plus its indexes for queries and scans. */
const tableAccess = (name: string, actions: string[]) => ({ [table(name)]: actions, [`${table(name)}/index/*`]: INDEX_READ });
const STREAM = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${PREFIX}-changes`;
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:${PREFIX}-changes-failures`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${PREFIX}-session-signing-key-abc-AbCdEf`;

const ORIGIN_SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${PREFIX}-origin-verify-abc-AbCdEf`;

/**
 * Writing its own log group and X-Ray segments (X-Ray accepts only Resource "*"); every function is
 * behind the API, so each reads the origin secret it checks requests against.
 */
const own = (fn: FunctionName) => ({
  [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${PREFIX}-${fn}:*`]: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  '*': ['xray:PutTraceSegments'],
  [ORIGIN_SECRET]: ['secretsmanager:GetSecretValue'],
});

/** Least privilege, resource by resource: each function gets its own tables, read-only the replicas it reads, and nothing else. */
const ALLOWED: Record<FunctionName, Record<string, string[]>> = {
  static: own('static'),
  rule: { ...own('rule'), ...tableAccess('rules', READ_WRITE), ...tableAccess('users-replica-for-rule', READ) },
  user: {
    ...own('user'),
    ...tableAccess('users', READ_WRITE),
    ...tableAccess('login-attempts', READ_WRITE),
    ...tableAccess('rules-replica-for-user', READ),
    [SECRET]: ['secretsmanager:GetSecretValue'],
  },
  replicator: {
    ...own('replicator'),
    ...tableAccess('replication-state', READ_WRITE),
    [table('rules-replica-for-user')]: REPLICA_WRITE,
    [table('users-replica-for-rule')]: REPLICA_WRITE,
    [STREAM]: STREAM_READ,
    [QUEUE]: ['sqs:SendMessage'],
  },
};

interface PolicyStatement {
  Effect: string;
  Action: string[];
  Resource: string[];
}

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
});

function statementsOf(fn: FunctionName): PolicyStatement[] {
  const policy = run.find('aws:iam/rolePolicy:RolePolicy', `${fn}-function-policy`);
  expect(policy.inputs.role).toBe(`${fn}-function-role-id`);
  return JSON.parse(policy.inputs.policy).Statement;
}

describe('least privilege', () => {
  it.each(Object.keys(ALLOWED) as FunctionName[])('the %s role allows exactly its ARCHITECTURE row', (fn) => {
    const granted: Record<string, Set<string>> = {};
    for (const s of statementsOf(fn)) {
      expect(s.Effect).toBe('Allow');
      for (const resource of s.Resource) for (const action of s.Action) (granted[resource] ??= new Set()).add(action);
    }
    const asSorted = (m: Record<string, Iterable<string>>) => Object.fromEntries(Object.entries(m).map(([r, a]) => [r, [...a].sort()]));
    expect(asSorted(granted)).toEqual(asSorted(ALLOWED[fn]));
  });

  it('uses no wildcard actions, no "*" on data resources and no managed policies on function roles', () => {
    for (const fn of Object.keys(ALLOWED) as FunctionName[]) {
      for (const s of statementsOf(fn)) {
        expect(s.Action.every((a) => !a.includes('*'))).toBe(true);
        if (s.Resource.includes('*')) expect(s.Action.every((a) => a.startsWith('xray:'))).toBe(true);
      }
    }
    // The one managed policy is CodeDeploy's documented Lambda policy, on CodeDeploy's own role.
    expect(run.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').map((a) => [a.inputs.role, a.inputs.policyArn])).toEqual([
      [`${PREFIX}-codedeploy`, 'arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited'],
    ]);
    for (const role of run.ofType('aws:iam/role:Role')) expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
  });

  it('gives each function its own role', () => {
    const roles = run.ofType('aws:lambda/function:Function').map((f) => f.inputs.role);
    expect(new Set(roles).size).toBe(roles.length);
  });
});
