import { describe, expect, it } from 'vitest';
import { functionConfig } from '../../../../lambdas/shared/config';
import { ENV } from '../../../../topology/environment';

const rule = { RULES_TABLE: 'dev-rules', USERS_REPLICA_TABLE: 'dev-users-replica-for-rule', SESSION_PUBLIC_KEYS: '{"keys":[]}' };

describe('functionConfig', () => {
  it('reads each declared binding by its topology key, once', () => {
    // Prepare
    const env: Record<string, string> = { ...rule, PUBLIC_BASE_URL: 'https://d111.cloudfront.net/', CORS_ALLOWED_ORIGINS: ' https://a.example/ ,https://b.example', ORIGIN_VERIFY_SECRET: 'arn:secret', COOKIE_SECURE: 'false', LOG_LEVEL: 'debug' };

    // Act
    const config = functionConfig('rule', env);
    env.PUBLIC_BASE_URL = 'https://changed.example';

    // Assess
    expect(config).toMatchObject({ service: 'rule', publicBaseUrl: 'https://d111.cloudfront.net', corsOrigins: ['https://a.example', 'https://b.example'], originSecretId: 'arn:secret', cookieSecure: false, logLevel: 'DEBUG', metricsNamespace: 'noops-todo' });
    expect([config.table('rules'), config.replica('users-replica-for-rule'), config.sessionPublicKeys]).toEqual(['dev-rules', 'dev-users-replica-for-rule', '{"keys":[]}']);
  });

  it('fails the cold start naming a missing table, replica or key', () => {
    for (const key of Object.keys(rule)) {
      const { [key]: _missing, ...env } = rule as Record<string, string>;
      expect(() => functionConfig('rule', env)).toThrow(`${key} environment variable is not set`);
    }
    expect(() => functionConfig('replicator', { REPLICATION_STATE_TABLE: 't', SESSION_PUBLIC_KEYS: '{}' })).toThrow(`${ENV.replicaFeeds} environment variable is not set`);
  });

  it('gives a setting topology\'s value unless the environment overrides it, and secure cookies by default', () => {
    // Prepare
    const user = { USERS_TABLE: 'u', LOGIN_ATTEMPTS_TABLE: 'l', RULES_REPLICA_TABLE: 'r', SESSION_PUBLIC_KEYS: '{}', SESSION_SIGNING_KEY_SECRET: 's' };

    // Act
    const defaults = functionConfig('user', user);
    const overridden = functionConfig('user', { ...user, SCRYPT_N: '1024' });

    // Assess
    expect([defaults.number('SCRYPT_N'), defaults.number('LOGIN_MAX_FAILURES'), defaults.cookieSecure]).toEqual([2 ** 15, 5, true]);
    expect(overridden.number('SCRYPT_N')).toBe(1024);
  });

  it('reads the tracing settings once: endpoint, sample ratio and the resource spans name', () => {
    // Prepare
    const env: Record<string, string> = { ...rule, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://xray.eu-west-1.amazonaws.com/v1/traces', OTEL_TRACES_SAMPLER_ARG: '0.25', AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'noops-todo-dev-rule' };

    // Act
    const { tracing } = functionConfig('rule', env);
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = 'http://changed.example';

    // Assess
    expect(tracing).toEqual({
      endpoint: 'https://xray.eu-west-1.amazonaws.com/v1/traces', sampleRatio: 0.25,
      resource: { 'service.name': 'rule', 'cloud.provider': 'aws', 'cloud.platform': 'aws_lambda', 'cloud.region': 'eu-west-1', 'faas.name': 'noops-todo-dev-rule' },
    });
    expect(functionConfig('rule', rule).tracing).toMatchObject({ endpoint: undefined, sampleRatio: 1 });
    expect(() => functionConfig('rule', { ...rule, OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow('OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1');
  });

  it('refuses what the function does not own or read', () => {
    // Act
    const config = functionConfig('rule', rule);

    // Assess
    expect(() => config.table('users')).toThrow('the rule function does not own table users');
    // @ts-expect-error: `tsc` already refuses a replica the function is not the reader of
    expect(() => config.replica('rules-replica-for-user')).toThrow('does not read replica');
    expect(() => config.sessionSigningKeySecretId).toThrow('the rule function has no session signing key in topology');
  });
});
