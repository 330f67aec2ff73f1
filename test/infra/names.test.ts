import { beforeAll, describe, expect, it, vi } from 'vitest';
import { AUTO_NAME_SUFFIX, NAME_PREFIX_SUFFIX, NAMING, type NameRule } from '../../infra/aws-names';
import { maxStackNameLength } from '../../infra/config';
import { replicas } from '../../topology/index';
import { PROJECT, runProgram, type ProgramRun, type RecordedResource } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

/** The longest stack name parseConfig accepts, using every character it allows. */
const STACK = 'Prod_eu-west-1-'.repeat(10).slice(0, maxStackNameLength(PROJECT));
/** Replica names come from stack config, so the longest one parseConfig accepts counts too. */
const LONG_REPLICA = { name: `users-replica-for-rule-${'x'.repeat(77)}`, source: 'users', reader: 'rule', envVar: 'LONG_REPLICA_TABLE', attributes: ['displayName'] };

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram({ replicas: [...replicas, LONG_REPLICA], alarmEmail: 'ops@example.com' }, { stack: STACK });
});

interface PhysicalName {
  resource: RecordedResource;
  rule: NameRule;
  value: string;
}

/** Every name the program gives AWS, with auto-generated parts as long as the provider makes them. */
function physicalNames(): PhysicalName[] {
  return run.resources.filter((r) => r.custom).flatMap((resource): PhysicalName[] => {
    const naming = NAMING[resource.type];
    if (!naming) throw new Error(`no naming rule for ${resource.type}: add it to infra/aws-names.ts with its AWS source`);
    const given = naming.names.filter((rule) => typeof resource.inputs[rule.input] === 'string');
    const names = given.map((rule) => {
      const value: string = resource.inputs[rule.input];
      // A prefix is checked as the full name AWS will see.
      return rule.input === 'namePrefix' ? { resource, rule: naming.names[0]!, value: value + 'x'.repeat(NAME_PREFIX_SUFFIX) } : { resource, rule, value };
    });
    if (names.length === 0 && naming.names.length > 0) {
      if (!naming.autoNamed) throw new Error(`${resource.type} ${resource.name} has no ${naming.names[0]!.input} and is not auto-named`);
      names.push({ resource, rule: naming.names[0]!, value: `${resource.name}-${'a'.repeat(AUTO_NAME_SUFFIX - 1)}` });
    }
    return names;
  });
}

describe('physical names for the longest allowed stack name', () => {
  it('is really the longest name parseConfig allows, with a replica name at its maximum', () => {
    expect(STACK).toHaveLength(42);
    expect(run.find('aws:dynamodb/table:Table', `${LONG_REPLICA.name}-table`).inputs.name).toHaveLength(PROJECT.length + STACK.length + 102);
  });

  it('has a naming rule for every resource type the program creates', () => {
    const missing = [...new Set(run.resources.filter((r) => r.custom).map((r) => r.type))].filter((type) => !NAMING[type]);
    expect(missing).toEqual([]);
  });

  it('keeps every physical name within its AWS length limit and character set', () => {
    const names = physicalNames();
    expect(names.length).toBeGreaterThan(60);
    for (const { resource, rule, value } of names) {
      const where = `${resource.type} ${resource.name}.${rule.input} = "${value}" (${rule.source})`;
      expect(value.length, where).toBeLessThanOrEqual(rule.max);
      expect([...value].filter((c) => !rule.chars.test(c)), where).toEqual([]);
    }
  });

  it('is tight: one more character in the stack name would overflow a Lambda function name', () => {
    const overflowing = physicalNames().filter(({ rule, value }) => value.includes(STACK) && value.length + 1 > rule.max);
    expect(overflowing.map((n) => n.resource.type)).toContain('aws:lambda/function:Function');
  });
});

/**
 * How each kind of resource with a fixed physical name survives a change that forces its replacement
 * (Pulumi creates the replacement first by default, which collides with a fixed name):
 * - `delete-first`: a property other than the name forces replacement, so the old one is deleted first;
 * - `name-only`: only a new name replaces it, and a new name cannot collide, so the default is kept.
 * Auto-named and name-prefixed resources never collide; nameless ones have nothing to collide on.
 */
const REPLACEMENT: Record<string, 'delete-first' | 'name-only'> = {
  'aws:dynamodb/table:Table': 'delete-first',
  'aws:dynamodb/kinesisStreamingDestination:KinesisStreamingDestination': 'delete-first',
  'aws:cloudwatch/logGroup:LogGroup': 'delete-first',
  'aws:lambda/function:Function': 'name-only',
  'aws:kinesis/stream:Stream': 'name-only',
  'aws:sqs/queue:Queue': 'name-only',
  'aws:sns/topic:Topic': 'name-only',
  'aws:cloudwatch/metricAlarm:MetricAlarm': 'name-only',
  'aws:cloudwatch/dashboard:Dashboard': 'name-only',
  'aws:cloudfront/cachePolicy:CachePolicy': 'name-only',
  'aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy': 'name-only',
  'aws:apigatewayv2/api:Api': 'name-only',
  'aws:apigatewayv2/stage:Stage': 'name-only',
  'aws:lambda/alias:Alias': 'name-only',
  'aws:iam/role:Role': 'name-only',
  'aws:codedeploy/application:Application': 'name-only',
  'aws:codedeploy/deploymentGroup:DeploymentGroup': 'name-only',
};

describe('replacement of fixed-name resources (a development stack)', () => {
  it('decides, for every resource type given a fixed name, how a forced replacement proceeds', () => {
    const fixed = run.resources.filter((r) => r.custom && (NAMING[r.type]?.names ?? []).some((rule) => rule.input !== 'namePrefix' && rule.input !== 'comment' && typeof r.inputs[rule.input] === 'string'));
    const undecided = [...new Set(fixed.map((r) => r.type))].filter((type) => !REPLACEMENT[type]);
    expect(undecided).toEqual([]);
    for (const r of fixed) {
      expect(r.options.deleteBeforeReplace, `${r.type} ${r.name}`).toBe(REPLACEMENT[r.type] === 'delete-first');
      expect(r.options.protect, `${r.type} ${r.name}`).toBe(false);
    }
  });

  it('deletes tables (owned and replicas), streaming destinations and log groups before replacing them', () => {
    expect(run.ofType('aws:dynamodb/table:Table').every((t) => t.options.deleteBeforeReplace)).toBe(true);
    expect(run.ofType('aws:dynamodb/kinesisStreamingDestination:KinesisStreamingDestination').map((d) => d.options.deleteBeforeReplace)).toEqual([true, true]);
    expect(run.ofType('aws:cloudwatch/logGroup:LogGroup').every((g) => g.options.deleteBeforeReplace)).toBe(true);
  });

  it('names the session key secret by prefix, so a replacement never meets the name a deleted one still holds', () => {
    const secret = run.find('aws:secretsmanager/secret:Secret', 'session-key-secret').inputs;
    expect(secret.name).toBeUndefined();
    expect(secret.namePrefix).toMatch(/-$/);
  });
});
