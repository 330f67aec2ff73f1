import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { deployPolicy, statePolicy, type PolicyStatement } from './policy';

/**
 * What CI needs in the account before the first deployment, provisioned once by an administrator
 * (docs/release.md "Bootstrap"): GitHub's OIDC identity provider, the S3 bucket and KMS key holding
 * Pulumi's state and secrets, and per stack a deploy role that GitHub Actions assumes with a short-lived
 * OIDC token. No access key exists anywhere.
 */
const PROJECT = 'noops-todo';
/** GitHub's OIDC issuer and the audience aws-actions/configure-aws-credentials requests. */
const ISSUER = 'token.actions.githubusercontent.com';
const AUDIENCE = 'sts.amazonaws.com';

const config = new pulumi.Config();
const repository = config.require('githubRepository');
if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository)) throw new Error(`Invalid configuration ${pulumi.getProject()}:githubRepository: must be owner/name, got "${repository}"`);
const stacks = config.getObject<string[]>('stacks') ?? ['staging', 'production'];
const ephemeral = config.getBoolean('ephemeralStacks') ?? true;

const account = aws.getCallerIdentityOutput().accountId;
const region = aws.getRegionOutput().region;

// IAM no longer checks the thumbprint for GitHub's issuer, but the API still asks for one.
const provider = new aws.iam.OpenIdConnectProvider('github', {
  url: `https://${ISSUER}`,
  clientIdLists: [AUDIENCE],
  thumbprintLists: ['6938fd4d98bab03faadb97b34396831e3780aea1'],
});

const stateKey = new aws.kms.Key('state-key', {
  description: `Encrypts ${PROJECT}'s Pulumi state and its secrets (awskms:// secrets provider)`,
  enableKeyRotation: true,
  deletionWindowInDays: 30,
});
new aws.kms.Alias('state-key-alias', { name: `alias/${PROJECT}-pulumi`, targetKeyId: stateKey.keyId });

const stateBucket = new aws.s3.Bucket('state', { bucket: pulumi.interpolate`${PROJECT}-pulumi-state-${account}`, forceDestroy: false });
new aws.s3.BucketVersioning('state-versioning', { bucket: stateBucket.id, versioningConfiguration: { status: 'Enabled' } });
new aws.s3.BucketPublicAccessBlock('state-public-access', { bucket: stateBucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
new aws.s3.BucketServerSideEncryptionConfiguration('state-encryption', {
  bucket: stateBucket.id,
  rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: stateKey.arn }, bucketKeyEnabled: true }],
});

/** A role GitHub Actions of `repository` may assume only with a token whose `sub` matches. */
function githubRole(name: string, subject: string, statements: pulumi.Input<PolicyStatement[]>) {
  const role = new aws.iam.Role(name, {
    name,
    maxSessionDuration: 3600,
    assumeRolePolicy: pulumi.jsonStringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: provider.arn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        // `sub` pins the repository and the trigger: a GitHub environment for deploys, pull_request for
        // previews ("About security hardening with OpenID Connect", GitHub Docs).
        Condition: { StringEquals: { [`${ISSUER}:aud`]: AUDIENCE, [`${ISSUER}:sub`]: subject } },
      }],
    }),
  });
  new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: pulumi.jsonStringify({ Version: '2012-10-17', Statement: statements }) });
  return role;
}

const resolved = (stack: string) => pulumi.all([region, account, stateBucket.bucket, stateKey.arn]).apply(([region, account, bucket, key]) =>
  deployPolicy({ prefix: `${PROJECT}-${stack}`, project: PROJECT, stack, region, account, stateBucket: bucket, stateKeyArn: key }));

const deployRoles = Object.fromEntries(stacks.map((stack) => [stack, githubRole(`${PROJECT}-deploy-${stack}`, `repo:${repository}:environment:${stack}`, resolved(stack)).arn]));

// Pull requests preview every long-lived stack: they read its state and decrypt its secrets, nothing more.
const previewRole = githubRole(`${PROJECT}-preview`, `repo:${repository}:pull_request`, pulumi.all([stateBucket.bucket, stateKey.arn]).apply(([bucket, key]) =>
  stacks.flatMap((stack) => statePolicy({ project: PROJECT, stack, stateBucket: bucket, stateKeyArn: key }, 'read').map((s) => ({ ...s, Sid: `${s.Sid}${stack.replace(/[^A-Za-z0-9]/g, '')}` })))));

// Per-PR stacks are named pr-<number>; their role is confined to noops-todo-pr-* like any deploy role.
const ephemeralRole = ephemeral ? githubRole(`${PROJECT}-deploy-pr`, `repo:${repository}:pull_request`, resolved('pr-*')) : undefined;

export const oidcProviderArn = provider.arn;
export const stateBackendUrl = pulumi.interpolate`s3://${stateBucket.bucket}`;
export const secretsProvider = pulumi.interpolate`awskms://alias/${PROJECT}-pulumi?region=${region}`;
export const deployRoleArns = deployRoles;
export const previewRoleArn = previewRole.arn;
export const ephemeralRoleArn = ephemeralRole?.arn;
