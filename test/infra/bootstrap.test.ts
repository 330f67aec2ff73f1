import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PolicyStatement } from '../../infra/bootstrap/policy';
import { ACCOUNT, REGION, valueOf } from '../helpers/pulumi-mocks';

/** Runs infra/bootstrap/index.ts, its own Pulumi project, under the mocks. */
interface Recorded { type: string; name: string; inputs: Record<string, any> }
const resources: Recorded[] = [];
let outputs: Record<string, any>;

beforeAll(async () => {
  process.env.PULUMI_CONFIG = JSON.stringify({ 'aws:region': REGION, 'noops-todo-bootstrap:githubRepository': 'acme/noops-todo' });
  await pulumi.runtime.setMocks({
    newResource(args) {
      resources.push({ type: args.type, name: args.name, inputs: args.inputs });
      const arn = args.type === 'aws:iam/role:Role' ? `arn:aws:iam::${ACCOUNT}:role/${args.inputs.name}`
        : args.type === 'aws:kms/key:Key' ? `arn:aws:kms:${REGION}:${ACCOUNT}:key/k-1`
          : args.type === 'aws:iam/openIdConnectProvider:OpenIdConnectProvider' ? `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`
            : `arn:aws:mock:::${args.name}`;
      return { id: `${args.name}-id`, state: { ...args.inputs, arn, keyId: 'k-1' } };
    },
    call(args) {
      if (args.token === 'aws:index/getRegion:getRegion') return { name: REGION, region: REGION };
      if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity') return { accountId: ACCOUNT };
      return {};
    },
  }, 'noops-todo-bootstrap', 'admin', false);
  outputs = await valueOf(pulumi.output({ ...(await import('../../infra/bootstrap/index')) }));
  // Role policies are registered once their inputs resolve.
  for (let last = -1; last !== resources.length; ) {
    last = resources.length;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
});

const role = (name: string) => resources.find((r) => r.type === 'aws:iam/role:Role' && r.inputs.name === name)!;
const policyOf = (name: string): PolicyStatement[] => JSON.parse(resources.find((r) => r.type === 'aws:iam/rolePolicy:RolePolicy' && r.name === `${name}-policy`)!.inputs.policy).Statement;

/** Actions that read or write a service's data rather than manage the resource. */
const DATA_ACTIONS = /^(dynamodb:(Get|Put|Update|Delete|BatchGet|BatchWrite)Item|dynamodb:(Query|Scan|PartiQL.*)|kinesis:(GetRecords|GetShardIterator|PutRecords?|SubscribeToShard)|sqs:(ReceiveMessage|SendMessage|DeleteMessage)|sns:Publish|lambda:InvokeFunction|logs:(GetLogEvents|FilterLogEvents|PutLogEvents))$/;
/** Statements AWS gives no resource-level permission for (or that a condition confines instead). */
const STAR_ALLOWED = new Set(['CreateEventSourceMapping', 'AccessLogDelivery']);

describe('bootstrap: GitHub OIDC and deploy roles', () => {
  it('trusts GitHub\'s OIDC issuer for the STS audience only', () => {
    const provider = resources.find((r) => r.type === 'aws:iam/openIdConnectProvider:OpenIdConnectProvider')!;
    expect(provider.inputs).toMatchObject({ url: 'https://token.actions.githubusercontent.com', clientIdLists: ['sts.amazonaws.com'] });
  });

  it.each([['staging'], ['production']])('lets only the %s GitHub environment of the repository assume its deploy role', (stack) => {
    const trust = JSON.parse(role(`noops-todo-deploy-${stack}`).inputs.assumeRolePolicy).Statement;
    expect(trust).toEqual([{
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': `repo:acme/noops-todo:environment:${stack}` } },
    }]);
  });

  it.each([['noops-todo-deploy-staging', 'noops-todo-staging'], ['noops-todo-deploy-production', 'noops-todo-production'], ['noops-todo-deploy-pr', 'noops-todo-pr-*']])('names every action of %s, with no data action and no "*" outside the stack', (name, prefix) => {
    const statements = policyOf(name);
    expect(statements.length).toBeGreaterThan(15);
    for (const s of statements) {
      for (const action of s.Action) {
        expect(action, `${s.Sid}: ${action}`).not.toMatch(/\*/);
        expect(action, `${s.Sid}: ${action}`).not.toMatch(DATA_ACTIONS);
      }
      if (s.Resource.includes('*')) expect(STAR_ALLOWED.has(s.Sid), s.Sid).toBe(true);
    }
    // Everything named is the stack's own: its prefix, its state objects, or services addressed by generated ids.
    const foreign = statements.flatMap((s) => s.Resource).filter((r) => r !== '*' && !r.includes(`${prefix}`) && !r.includes(`/${prefix.replace('noops-todo-', '')}`) && !/:(apigateway|cloudfront)|(log-group|event-source-mapping):\*$|deploymentconfig:CodeDeployDefault|state|key\/k-1/.test(r));
    expect(foreign).toEqual([]);
  });

  it('keeps one stack\'s role off another stack\'s resources and state', () => {
    const production = JSON.stringify(policyOf('noops-todo-deploy-production'));
    expect(production).not.toContain('noops-todo-staging');
    expect(production).toContain('.pulumi/stacks/noops-todo/production.json*');
    expect(production).not.toContain('.pulumi/stacks/noops-todo/staging.json');
  });

  it('lets pull requests only read the long-lived stacks\' state for a preview', () => {
    expect(JSON.parse(role('noops-todo-preview').inputs.assumeRolePolicy).Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toBe('repo:acme/noops-todo:pull_request');
    const actions = new Set(policyOf('noops-todo-preview').flatMap((s) => s.Action));
    expect(actions).toEqual(new Set(['s3:ListBucket', 's3:GetObject', 'kms:Decrypt']));
  });

  it('keeps state in a versioned, KMS-encrypted, non-public bucket and exports what CI logs in with', () => {
    expect(resources.find((r) => r.type === 'aws:s3/bucketVersioning:BucketVersioning')!.inputs.versioningConfiguration).toEqual({ status: 'Enabled' });
    expect(resources.find((r) => r.type === 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock')!.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(resources.find((r) => r.type === 'aws:kms/key:Key')!.inputs.enableKeyRotation).toBe(true);
    expect(outputs).toMatchObject({
      stateBackendUrl: `s3://noops-todo-pulumi-state-${ACCOUNT}`,
      secretsProvider: `awskms://alias/noops-todo-pulumi?region=${REGION}`,
      deployRoleArns: { staging: `arn:aws:iam::${ACCOUNT}:role/noops-todo-deploy-staging`, production: `arn:aws:iam::${ACCOUNT}:role/noops-todo-deploy-production` },
    });
  });
});
