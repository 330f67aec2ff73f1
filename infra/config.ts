import * as pulumi from '@pulumi/pulumi';
import {
  CHANGE_CONSUMER,
  functions,
  replicas as defaultReplicas,
  TOMBSTONE_TTL_SECONDS,
  type FunctionName,
} from '../topology/index';
import type { ReplicaDeclaration } from '../topology/environment';
import { parseReplicaEntries, ReplicaConfigError } from '../topology/replica-config';
import { LAMBDA_FUNCTION_NAME_MAX, STACK_NAME_CHARS } from './aws-names';
import { DEFAULT_DEPLOYMENT_CONFIG, DEPLOYMENT_CONFIGS, isDeploymentConfigName, type DeploymentConfigName } from '../topology/release';

/**
 * A replica as stack config describes it (`noops-todo:replicas`); defaults to topology's list. Its
 * `readModel` is resolved from the config's `attributes` (names) and the source's replicable attributes (types).
 */
export type ReplicaConfig = ReplicaDeclaration;

export interface FunctionSettings {
  memoryMb: number;
  timeoutSeconds: number;
  /** Undefined leaves the function on the account's unreserved pool. */
  reservedConcurrency?: number;
}

/** The whole stack configuration, validated once; every other module reads this object. */
export interface StackConfig {
  /** `noops-todo-<stack>`: prefixes every physical name so stacks can share an account. */
  prefix: string;
  /** Turns on DynamoDB deletion protection and a longer secret recovery window. */
  production: boolean;
  replicas: ReplicaConfig[];
  logRetentionDays: number;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Share of new traces recorded (0 to 1; OTEL_TRACES_SAMPLER_ARG). A sampled request stays sampled downstream. */
  traceSampleRatio: number;
  functions: Record<FunctionName, FunctionSettings>;
  kinesis: { mode: 'ON_DEMAND' | 'PROVISIONED'; shardCount: number; retentionHours: number };
  api: { throttleRateLimit: number; throttleBurstLimit: number; corsOrigins: string[] };
  site: { customDomain?: string; hostedZoneId?: string; priceClass: string; originSecretRotationDays: number };
  alarmEmail?: string;
  /** How CodeDeploy shifts each HTTP function's `live` alias to a new version (stream consumers: all at once). */
  deploymentConfig: DeploymentConfigName;
  /** Bump by one to rotate the session signing key (docs/deploy.md "Rotating the session key"). */
  sessionKeyGeneration: number;
}

/** Values CloudWatch Logs accepts for retentionInDays. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export class ConfigError extends Error {
  constructor(key: string, problem: string, subject = `configuration noops-todo:${key}`) {
    super(`Invalid ${subject}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Reads raw (string) config values by key; `pulumi.Config` in a program, a plain map in tests. */
export type ConfigSource = (key: string) => string | undefined;

export function parseConfig(get: ConfigSource, project: string, stack: string): StackConfig {
  checkStackName(project, stack);
  const r = reader(get);
  const kinesisMode = r.oneOf('kinesisMode', ['ON_DEMAND', 'PROVISIONED'] as const, 'ON_DEMAND');
  const customDomain = r.string('customDomain');
  const hostedZoneId = r.string('hostedZoneId');
  if (customDomain && !hostedZoneId) throw new ConfigError('hostedZoneId', 'is required when customDomain is set (the ACM certificate is validated through Route 53)');
  if (customDomain && !/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(customDomain)) throw new ConfigError('customDomain', `must be a lower-case DNS name, got "${customDomain}"`);
  const shardCount = r.number('kinesisShardCount', 1, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1');
  const functionSettings = parseFunctionSettings(r);
  checkConsumerReservation(functionSettings, kinesisMode === 'PROVISIONED' ? shardCount : undefined);
  const alarmEmail = r.string('alarmEmail');
  if (alarmEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) throw new ConfigError('alarmEmail', `must be an e-mail address, got "${alarmEmail}"`);
  const production = r.boolean('production', false);
  const deploymentConfig = r.string('deploymentConfig') ?? DEFAULT_DEPLOYMENT_CONFIG[production ? 'production' : 'other'];
  if (!isDeploymentConfigName(deploymentConfig)) throw new ConfigError('deploymentConfig', `must be a CodeDeploy Lambda configuration (${Object.keys(DEPLOYMENT_CONFIGS).join(', ')}), got "${deploymentConfig}"`);
  return {
    prefix: `${project}-${stack}`,
    production,
    replicas: parseReplicas(r.json('replicas') ?? defaultReplicas.map((x) => ({ ...x }))),
    logRetentionDays: r.number('logRetentionDays', 14, (n) => LOG_RETENTION_DAYS.includes(n), `one of ${LOG_RETENTION_DAYS.join(', ')}`),
    logLevel: r.oneOf('logLevel', ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const, 'INFO'),
    traceSampleRatio: r.number('traceSampleRatio', 1, (n) => n >= 0 && n <= 1, 'a number from 0 to 1'),
    functions: functionSettings,
    kinesis: {
      mode: kinesisMode,
      shardCount,
      // Tombstones must outlive every record that could still resurrect their item.
      retentionHours: r.number('kinesisRetentionHours', 24, (n) => Number.isInteger(n) && n >= 24 && n * 3600 <= TOMBSTONE_TTL_SECONDS, `an integer from 24 to ${TOMBSTONE_TTL_SECONDS / 3600} (the tombstone lifetime)`),
    },
    api: {
      throttleRateLimit: r.number('apiThrottleRateLimit', 50, (n) => n > 0, 'a positive number of requests per second'),
      throttleBurstLimit: r.number('apiThrottleBurstLimit', 100, (n) => Number.isInteger(n) && n > 0, 'a positive integer'),
      corsOrigins: parseOrigins(r.json('corsOrigins') ?? []),
    },
    site: {
      customDomain,
      hostedZoneId,
      priceClass: r.oneOf('priceClass', ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'] as const, 'PriceClass_100'),
      originSecretRotationDays: r.number('originSecretRotationDays', 30, (n) => Number.isInteger(n) && n >= 1 && n <= 365, 'an integer from 1 to 365'),
    },
    alarmEmail,
    deploymentConfig,
    sessionKeyGeneration: r.number('sessionKeyGeneration', 1, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1 (bump it by one to rotate)'),
  };
}

/**
 * The longest stack name whose physical names all fit: the tightest AWS limit over every name the
 * program builds is a Lambda function name (64), and functions are named `<project>-<stack>-<fn>`.
 */
export function maxStackNameLength(project: string): number {
  const longestFunction = Math.max(...functions.map((f) => f.name.length));
  return LAMBDA_FUNCTION_NAME_MAX - `${project}--`.length - longestFunction;
}

/** Pulumi accepts `.` and any length; the names built from the stack name do not. */
function checkStackName(project: string, stack: string): void {
  const subject = `stack name "${stack}"`;
  const rename = 'choose another with `pulumi stack rename <name>` (or init a new stack)';
  if (!STACK_NAME_CHARS.test(stack)) {
    throw new ConfigError('stack', `use only letters, digits, "-" and "_": every physical name is ${project}-<stack>-…, and Lambda function, SQS, SNS and CloudWatch dashboard names accept no other character; ${rename}`, subject);
  }
  const max = maxStackNameLength(project);
  if (stack.length > max) {
    const longest = functions.reduce((a, b) => (b.name.length > a.name.length ? b : a)).name;
    throw new ConfigError('stack', `is ${stack.length} characters, at most ${max} fit: the Lambda function ${project}-<stack>-${longest} may have 64; ${rename}`, subject);
  }
}

/** The program's configuration, read from the Pulumi stack once. */
export function loadConfig(): StackConfig {
  const config = new pulumi.Config();
  return parseConfig((key) => config.get(key), pulumi.getProject(), pulumi.getStack());
}

/** Stack-config replicas, checked by the parser the local stack uses too (topology/replica-config.ts). */
function parseReplicas(value: unknown): ReplicaConfig[] {
  try {
    return parseReplicaEntries(value);
  } catch (err) {
    if (err instanceof ReplicaConfigError) throw new ConfigError(err.where, err.problem);
    throw err;
  }
}

function parseFunctionSettings(r: ReturnType<typeof reader>): Record<FunctionName, FunctionSettings> {
  const memory = r.perFunction('lambdaMemoryMb', (n) => Number.isInteger(n) && n >= 128 && n <= 10240, 'an integer from 128 to 10240');
  const timeout = r.perFunction('lambdaTimeoutSeconds', (n) => Number.isInteger(n) && n >= 1 && n <= 900, 'an integer from 1 to 900');
  const reserved = r.perFunction('reservedConcurrency', (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1 (0 would disable the function)');
  const settings = {} as Record<FunctionName, FunctionSettings>;
  for (const spec of functions) {
    // A longer timeout is legal (the replicator needs 60 s for stream batches), but API Gateway answers
    // HTTP requests with 503 after 30 s whatever the function's timeout.
    const timeoutSeconds = timeout[spec.name] ?? spec.timeoutSeconds;
    settings[spec.name] = { memoryMb: memory[spec.name] ?? spec.memoryMb, timeoutSeconds, reservedConcurrency: reserved[spec.name] };
  }
  return settings;
}

/**
 * What can be checked offline about a reservation. Lambda refuses one that would leave the account
 * fewer than 100 unreserved executions ("You can reserve up to the Unreserved account concurrency value
 * that is shown, minus 100", Lambda Developer Guide, Configuring reserved concurrency), and new accounts
 * may have a quota far below 1,000 ("New AWS accounts have reduced concurrency and memory quotas",
 * Lambda quotas): both depend on the account, so only `pulumi up` can tell (docs/deploy.md). What the
 * stack alone decides: the event source mapping runs up to parallelizationFactor batches per shard at
 * once (Lambda API Reference, CreateEventSourceMapping), so a replicator reserved below
 * shards × factor is throttled for good and the replicas fall behind.
 */
function checkConsumerReservation(settings: Record<FunctionName, FunctionSettings>, shards: number | undefined): void {
  // An on-demand stream picks its own shard count, so only a provisioned one can be checked here.
  if (shards === undefined) return;
  for (const spec of functions.filter((f) => f.consumesChangeStream)) {
    const reserved = settings[spec.name].reservedConcurrency;
    const needed = shards * CHANGE_CONSUMER.parallelizationFactor;
    if (reserved !== undefined && reserved < needed) {
      throw new ConfigError(`reservedConcurrency.${spec.name}`, `must be at least ${needed} (${shards} shards × parallelization factor ${CHANGE_CONSUMER.parallelizationFactor}: batches the event source mapping runs at once), got ${reserved}; or leave it unreserved`);
    }
  }
}

function parseOrigins(value: unknown): string[] {
  if (!Array.isArray(value)) throw new ConfigError('corsOrigins', 'must be a list of origins such as ["https://app.example.com"]');
  return value.map((origin, i) => {
    // Credentialed CORS (the session cookie) forbids the `*` wildcard.
    if (typeof origin !== 'string' || !/^https?:\/\/[^/*\s]+$/.test(origin)) throw new ConfigError(`corsOrigins[${i}]`, `must be an origin like https://app.example.com (no path, no *), got ${JSON.stringify(origin)}`);
    return origin;
  });
}

function reader(get: ConfigSource) {
  const raw = (key: string) => {
    const value = get(key);
    return value === undefined || value === '' ? undefined : value;
  };
  const json = (key: string): unknown => {
    const value = raw(key);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      throw new ConfigError(key, `must be JSON, got ${JSON.stringify(value)}`);
    }
  };
  const check = (key: string, n: unknown, ok: (n: number) => boolean, expected: string): number => {
    if (typeof n !== 'number' || !Number.isFinite(n) || !ok(n)) throw new ConfigError(key, `must be ${expected}, got ${JSON.stringify(n)}`);
    return n;
  };
  return {
    json,
    string: (key: string) => raw(key),
    boolean(key: string, fallback: boolean): boolean {
      const value = raw(key);
      if (value === undefined) return fallback;
      if (value !== 'true' && value !== 'false') throw new ConfigError(key, `must be true or false, got "${value}"`);
      return value === 'true';
    },
    number(key: string, fallback: number, ok: (n: number) => boolean, expected: string): number {
      const value = raw(key);
      return value === undefined ? fallback : check(key, value.trim() === '' ? NaN : Number(value), ok, expected);
    },
    oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
      const value = raw(key) ?? fallback;
      if (!allowed.includes(value as T)) throw new ConfigError(key, `must be one of ${allowed.join(', ')}, got "${value}"`);
      return value as T;
    },
    /** `{ "rule": 1024 }`: per-function overrides of a topology default. */
    perFunction(key: string, ok: (n: number) => boolean, expected: string): Partial<Record<FunctionName, number>> {
      const value = json(key) ?? {};
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(key, `must be an object keyed by function name (${functions.map((f) => f.name).join(', ')})`);
      for (const [name, n] of Object.entries(value)) {
        if (!functions.some((f) => f.name === name)) throw new ConfigError(`${key}.${name}`, `is not a function; use one of ${functions.map((f) => f.name).join(', ')}`);
        check(`${key}.${name}`, n, ok, expected);
      }
      return value as Partial<Record<FunctionName, number>>;
    },
  };
}
