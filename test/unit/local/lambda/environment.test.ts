import { describe, expect, it } from 'vitest';
import { lambdaEnv, type LambdaEnvInput } from '../../../../local/lambda/environment';
import { functionSpec, replicas, type FunctionName } from '../../../../topology/index';

const publicJwks = [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k2' }, { kty: 'OKP', crv: 'Ed25519', x: 'def', kid: 'k1' }];

function envFor(name: FunctionName, overrides: Partial<LambdaEnvInput> = {}): Record<string, string> {
  return lambdaEnv({
    spec: functionSpec(name),
    replicas,
    physicalName: (logical) => `dev-${logical}`,
    endpoints: { dynamodb: 'http://127.0.0.1:1', secretsManager: 'http://127.0.0.1:2', kinesis: 'http://127.0.0.1:3' },
    sessionPublicKeys: publicJwks,
    signingKeySecretId: 'noops-todo/local/session-signing-key',
    originSecretId: 'noops-todo/local/origin-verify',
    originDigest: 'ab'.repeat(32),
    publicBaseUrl: 'http://127.0.0.1:3000',
    logLevel: 'INFO',
    taskRoot: '/dist/functions/x',
    path: '/usr/bin',
    ...overrides,
  });
}

describe('lambdaEnv', () => {
  it('names the origin secret (its id, never its value) to every function behind the API', () => {
    for (const name of ['static', 'rule', 'user', 'replicator'] as const) {
      expect(envFor(name).ORIGIN_VERIFY_SECRET).toBe('noops-todo/local/origin-verify');
    }
  });

  it('sets the Lambda runtime variables', () => {
    expect(envFor('rule')).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'rule',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/rule',
      AWS_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      TZ: 'UTC',
      LAMBDA_TASK_ROOT: '/dist/functions/x',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
  });

  it('silences none of the SDK\'s warnings: the functions run on the deployed Node major', () => {
    expect(envFor('rule')).not.toHaveProperty('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED');
  });

  it('gives each function exactly its owned tables and the replicas it reads', () => {
    const user = envFor('user');
    expect(user).toMatchObject({ USERS_TABLE: 'dev-users', LOGIN_ATTEMPTS_TABLE: 'dev-login-attempts', RULES_REPLICA_TABLE: 'dev-rules-replica-for-user' });
    expect(user).not.toHaveProperty('RULES_TABLE');
    const rule = envFor('rule');
    expect(rule).toMatchObject({ RULES_TABLE: 'dev-rules', USERS_REPLICA_TABLE: 'dev-users-replica-for-rule' });
    expect(rule).not.toHaveProperty('USERS_TABLE');
    expect(Object.keys(envFor('static')).filter((k) => k.endsWith('_TABLE'))).toEqual([]);
  });

  it('tells the replicator which replica copies which source, and where its state lives', () => {
    const env = envFor('replicator');
    expect(JSON.parse(env.REPLICAS ?? '')).toEqual([
      { replica: 'dev-rules-replica-for-user', source: 'dev-rules', attributes: { status: 'N' } },
      { replica: 'dev-users-replica-for-rule', source: 'dev-users', attributes: { userId: 'S', displayName: 'S', sessionVersion: 'N' } },
    ]);
    expect(env.REPLICATION_STATE_TABLE).toBe('dev-replication-state');
    // The mapping reads the stream, the function never does: no CHANGE_STREAM_NAME.
    expect(env).not.toHaveProperty('CHANGE_STREAM_NAME');
  });

  it('gives the public keys (a JWKS) to every function that verifies and the signing key secret only to the user service', () => {
    for (const name of ['rule', 'user', 'replicator'] as const) {
      expect(JSON.parse(envFor(name).SESSION_PUBLIC_KEYS ?? '')).toEqual({ keys: publicJwks });
    }
    expect(envFor('static')).not.toHaveProperty('SESSION_PUBLIC_KEYS');
    expect(envFor('user').SESSION_SIGNING_KEY_SECRET).toBe('noops-todo/local/session-signing-key');
    expect(envFor('rule')).not.toHaveProperty('SESSION_SIGNING_KEY_SECRET');
  });

  it('points the SDK at the embedded servers and omits Kinesis when it is not running', () => {
    expect(envFor('rule')).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:2',
      AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:3',
      COOKIE_SECURE: 'false',
      PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
      LOG_LEVEL: 'INFO',
    });
    expect(envFor('rule', { endpoints: { dynamodb: 'd', secretsManager: 's' } })).not.toHaveProperty('AWS_ENDPOINT_URL_KINESIS');
  });

  it('lets extra variables override anything, and inherits nothing from the host', () => {
    process.env.AWS_PROFILE = 'host-profile';
    const env = envFor('user', { extra: { SCRYPT_N: '1024', LOG_LEVEL: 'DEBUG' } });
    delete process.env.AWS_PROFILE;
    expect(env).toMatchObject({ SCRYPT_N: '1024', LOG_LEVEL: 'DEBUG' });
    expect(env).not.toHaveProperty('AWS_PROFILE');
  });
});
