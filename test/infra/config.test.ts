import { readFile } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { maxStackNameLength, parseConfig } from '../../infra/config';
import { replicas } from '../../topology/index';
import { runProgram } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

const parse = (values: Record<string, unknown>, stack = 'dev') =>
  parseConfig((key) => {
    const value = values[key];
    return value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
  }, 'noops-todo', stack);

describe('stack configuration', () => {
  it('defaults to a small, non-production stack with the topology replicas', () => {
    const config = parse({});
    expect(config).toMatchObject({
      prefix: 'noops-todo-dev',
      production: false,
      logRetentionDays: 14,
      logLevel: 'INFO',
      kinesis: { mode: 'ON_DEMAND', retentionHours: 24 },
      api: { throttleRateLimit: 50, throttleBurstLimit: 100, corsOrigins: [] },
      site: { priceClass: 'PriceClass_100' },
      functions: { static: { memoryMb: 256, timeoutSeconds: 5 }, replicator: { memoryMb: 512, timeoutSeconds: 60 } },
    });
    expect(config.replicas).toEqual(replicas);
    expect(config.site.customDomain).toBeUndefined();
    expect(config.sessionKeyGeneration).toBe(1);
  });

  it.each([
    ['logRetentionDays', { logRetentionDays: '10' }],
    ['logRetentionDays', { logRetentionDays: 'two weeks' }],
    ['production', { production: 'yes' }],
    ['logLevel', { logLevel: 'verbose' }],
    ['kinesisMode', { kinesisMode: 'FAST' }],
    ['kinesisRetentionHours', { kinesisRetentionHours: 8760 }],
    ['kinesisShardCount', { kinesisShardCount: 0 }],
    ['apiThrottleRateLimit', { apiThrottleRateLimit: -1 }],
    ['lambdaMemoryMb.user', { lambdaMemoryMb: { user: 64 } }],
    ['lambdaMemoryMb.nobody', { lambdaMemoryMb: { nobody: 256 } }],
    ['lambdaTimeoutSeconds', { lambdaTimeoutSeconds: '{not json' }],
    ['reservedConcurrency.rule', { reservedConcurrency: { rule: 0 } }],
    ['reservedConcurrency.replicator', { kinesisMode: 'PROVISIONED', kinesisShardCount: 4, reservedConcurrency: { replicator: 2 } }],
    ['replicas', { replicas: { name: 'x' } }],
    ['replicas[0].source', { replicas: [{ name: 'x', source: 'login-attempts', reader: 'rule', envVar: 'X' }] }],
    ['replicas[0].reader', { replicas: [{ name: 'x', source: 'rules', reader: 'nobody', envVar: 'X' }] }],
    ['replicas[2].name', { replicas: [...replicas, replicas[0]] }],
    ['replicas[0].envVar', { replicas: [{ name: 'x', source: 'rules', reader: 'user', envVar: 'lower' }] }],
    ['corsOrigins[0]', { corsOrigins: ['*'] }],
    ['hostedZoneId', { customDomain: 'todo.example.com' }],
    ['customDomain', { customDomain: 'https://todo.example.com', hostedZoneId: 'Z1' }],
    ['alarmEmail', { alarmEmail: 'not-an-address' }],
    ['priceClass', { priceClass: 'cheap' }],
    ['deploymentConfig', { deploymentConfig: 'CodeDeployDefault.AllAtOnce' }],
    ['deploymentConfig', { deploymentConfig: 'canary' }],
    ['sessionKeyGeneration', { sessionKeyGeneration: 0 }],
    ['sessionKeyGeneration', { sessionKeyGeneration: '1.5' }],
  ])('rejects a bad %s, naming the key', (key, values) => {
    expect(() => parse(values)).toThrow(`Invalid configuration noops-todo:${key}:`);
  });

  it('accepts stack names up to the length whose longest Lambda function name is 64 characters', () => {
    expect(maxStackNameLength('noops-todo')).toBe(42);
    expect(parse({}, 'a'.repeat(42)).prefix).toHaveLength('noops-todo-'.length + 42);
    expect(parse({}, 'Prod_eu-1').prefix).toBe('noops-todo-Prod_eu-1');
  });

  it.each([
    ['dev.eu', 'use only letters, digits, "-" and "_"'],
    ['team/dev', 'use only letters, digits, "-" and "_"'],
    ['a'.repeat(43), 'is 43 characters, at most 42 fit: the Lambda function noops-todo-<stack>-replicator may have 64'],
  ])('rejects the stack name %s with a ConfigError that says why', (stack, why) => {
    expect(() => parse({}, stack)).toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(new RegExp(`^Invalid stack name "${stack}": ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*pulumi stack rename`)) }));
  });

  it('leaves every function unreserved in the example stack file docs/deploy.md tells users to copy', async () => {
    const example = await readFile(new URL('../../Pulumi.example.yaml', import.meta.url), 'utf8');
    // The key's value: inline JSON/flow YAML, or the indented `fn: n` lines under it.
    const [, inline, block] = /^ {2}noops-todo:reservedConcurrency:[ \t]*(\S.*)?\n((?: {4}.*\n)*)/m.exec(example) ?? [];
    const reserved = inline ? JSON.parse(inline) : Object.fromEntries(block!.trim().split('\n').filter(Boolean).map((line) => line.trim().split(/:\s*/)).map(([fn, n]) => [fn, Number(n)]));
    const config = parse({ reservedConcurrency: reserved });
    for (const [fn, settings] of Object.entries(config.functions)) expect(settings.reservedConcurrency, fn).toBeUndefined();
  });

  it('releases all at once unless the stack is production, where it canaries; an explicit choice wins', () => {
    expect(parse({}).deploymentConfig).toBe('CodeDeployDefault.LambdaAllAtOnce');
    expect(parse({ production: 'true' }).deploymentConfig).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    expect(parse({ production: 'true', deploymentConfig: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute' }).deploymentConfig).toBe('CodeDeployDefault.LambdaLinear10PercentEvery1Minute');
    expect(() => parse({ deploymentConfig: 'CodeDeployDefault.OneAtATime' })).toThrow(/must be a CodeDeploy Lambda configuration \(CodeDeployDefault\.LambdaAllAtOnce, .*\), got "CodeDeployDefault\.OneAtATime"/);
  });

  it('fails the program (and so the preview) before creating anything', async () => {
    await expect(runProgram({ logRetentionDays: 10 })).rejects.toThrow('noops-todo:logRetentionDays');
  });

  it('documents every key in Pulumi.yaml and the example stack', async () => {
    const source = await readFile(new URL('../../infra/config.ts', import.meta.url), 'utf8');
    const keys = new Set([...source.matchAll(/r\.(?:string|boolean|number|oneOf|json|perFunction)\('([A-Za-z]+)'/g)].map((m) => m[1]!));
    expect(keys.size).toBeGreaterThan(12);
    const project = await readFile(new URL('../../Pulumi.yaml', import.meta.url), 'utf8');
    const example = await readFile(new URL('../../Pulumi.example.yaml', import.meta.url), 'utf8');
    for (const key of keys) {
      expect(project, key).toMatch(new RegExp(`^\\s+(noops-todo:)?${key}:\\n\\s+(type|description): `, 'm'));
      expect(example, key).toContain(`noops-todo:${key}:`);
    }
  });
});
