/**
 * The environment contract: for every function, each environment key it reads and what the key is
 * bound to. infra/ maps each binding to a Pulumi Input, local/lambda/environment.ts to a string, and
 * lambdas/shared/config.ts reads the same keys once at cold start. Plain data and one pure function.
 */
import { routes, tableSpec, type FunctionName, type FunctionSpec, type ReadModel, type TableName } from './index';

/** What an environment key is bound to; each runtime turns it into a value. */
export type Binding =
  /** The physical name of a table the function owns (read/write). */
  | { kind: 'table'; table: TableName }
  /** The physical name of a replica the function reads. */
  | { kind: 'replica'; replica: string }
  /** The replicator's list of replica feeds (physical names and read models), as JSON. */
  | { kind: 'replicaFeeds' }
  /** The public session verification keys, a JWKS JSON (current key first). */
  | { kind: 'sessionPublicKeys' }
  /** The Secrets Manager id of the private session signing key (never the key itself). */
  | { kind: 'sessionSigningKey' }
  /** The Secrets Manager id of the origin secret the edge sends (never its value). */
  | { kind: 'originSecret' }
  /** The hex SHA-256 digest of the origin secret's current value, which recognises it without revealing it. */
  | { kind: 'originDigest' }
  /** The site's public base URL (on AWS the CloudFront URL, locally the gateway's). */
  | { kind: 'publicUrl' }
  /** Whether the session cookie is `__Host-` + Secure: true behind CloudFront, false on plain-http localhost. */
  | { kind: 'cookieSecure' }
  /** Extra origins allowed to call the API with credentials, comma separated; unset means same origin only. */
  | { kind: 'corsOrigins' }
  /** The log level of the stack (stack config `logLevel`; locally LOG_LEVEL or INFO). */
  | { kind: 'logLevel' }
  /** Where spans go over OTLP/HTTP: X-Ray's OTLP endpoint on AWS, the local runtime's receiver locally. */
  | { kind: 'tracesEndpoint' }
  /** The share of new traces sampled (stack config `traceSampleRatio`; locally 1). */
  | { kind: 'traceSampleRatio' }
  /** A value topology fixes, the same in both runtimes (service name, metrics namespace, tunables). */
  | { kind: 'setting'; value: string };

/** Key → binding: one function's whole environment contract. */
export type Environment = Readonly<Record<string, Binding>>;

/** The keys that name a binding shared by several functions; tables and replicas carry their own `envVar`. */
export const ENV = {
  logLevel: 'LOG_LEVEL',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  publicUrl: 'PUBLIC_BASE_URL',
  cookieSecure: 'COOKIE_SECURE',
  corsOrigins: 'CORS_ALLOWED_ORIGINS',
  sessionPublicKeys: 'SESSION_PUBLIC_KEYS',
  sessionSigningKey: 'SESSION_SIGNING_KEY_SECRET',
  originSecret: 'ORIGIN_VERIFY_SECRET',
  originDigest: 'ORIGIN_VERIFY_DIGEST',
  replicaFeeds: 'REPLICAS',
  tracesEndpoint: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  tracesSampler: 'OTEL_TRACES_SAMPLER',
  tracesSamplerArg: 'OTEL_TRACES_SAMPLER_ARG',
} as const;

/** CloudWatch namespace of every function's embedded-metric-format lines. */
export const METRICS_NAMESPACE = 'noops-todo';

/** What a replica declaration must say for the environment: stack config may add replicas to topology's. */
export interface ReplicaDeclaration {
  name: string;
  source: TableName;
  reader: FunctionName;
  /** Environment variable carrying the replica's physical name to its reader. */
  envVar: string;
  readModel: ReadModel;
}

/**
 * The environment contract of `fn` with these replicas: its owned tables, the replicas it reads (and,
 * for the stream consumer, the feed list of all of them), its session key material, the origin secret
 * if it answers routes, the shared settings and its own `settings`.
 */
export function environmentOf(fn: FunctionSpec, replicas: readonly ReplicaDeclaration[]): Environment {
  const env: Record<string, Binding> = {
    [ENV.serviceName]: { kind: 'setting', value: fn.name },
    [ENV.metricsNamespace]: { kind: 'setting', value: METRICS_NAMESPACE },
    [ENV.logLevel]: { kind: 'logLevel' },
    [ENV.publicUrl]: { kind: 'publicUrl' },
    [ENV.cookieSecure]: { kind: 'cookieSecure' },
    [ENV.corsOrigins]: { kind: 'corsOrigins' },
    [ENV.tracesEndpoint]: { kind: 'tracesEndpoint' },
    // OpenTelemetry's standard sampler settings: parent-based, so a sampled request stays whole.
    [ENV.tracesSampler]: { kind: 'setting', value: 'parentbased_traceidratio' },
    [ENV.tracesSamplerArg]: { kind: 'traceSampleRatio' },
  };
  for (const table of fn.ownsTables) env[tableSpec(table).envVar] = { kind: 'table', table };
  for (const replica of replicas.filter((r) => r.reader === fn.name)) env[replica.envVar] = { kind: 'replica', replica: replica.name };
  if (fn.consumesChangeStream) env[ENV.replicaFeeds] = { kind: 'replicaFeeds' };
  if (fn.sessionKey) env[ENV.sessionPublicKeys] = { kind: 'sessionPublicKeys' };
  if (fn.sessionKey === 'private') env[ENV.sessionSigningKey] = { kind: 'sessionSigningKey' };
  if (answersRoutes(fn.name)) {
    env[ENV.originSecret] = { kind: 'originSecret' };
    env[ENV.originDigest] = { kind: 'originDigest' };
  }
  for (const [key, value] of Object.entries(fn.settings ?? {})) env[key] = { kind: 'setting', value: String(value) };
  return env;
}

/** Every function behind the API checks the origin secret first. */
export function answersRoutes(fn: FunctionName): boolean {
  return routes.some((route) => route.function === fn);
}

/**
 * Keys that are not part of the contract: Lambda sets them itself on AWS ("Defined runtime environment
 * variables", AWS Lambda Developer Guide) and the local runtime imitates them, or only the local runtime
 * sets them to point the SDK at the embedded servers.
 */
export const RUNTIME_KEYS = {
  lambda: [
    'PATH', 'LANG', 'TZ', 'LAMBDA_TASK_ROOT', '_HANDLER', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
    'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE',
    'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
  ],
  localOverrides: ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL_KINESIS'],
} as const;

/**
 * The one mapping step both runtimes share: each declared key with the value `valueOf` gives its
 * binding; a binding without a value (no CORS origins configured) leaves its key unset.
 */
export function bindEnvironment<V>(env: Environment, valueOf: (binding: Binding) => V | undefined): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [key, binding] of Object.entries(env)) {
    const value = valueOf(binding);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
