import { ENV, environmentOf, type Binding } from '../../topology/environment';
import { parseOrigins } from '../../topology/http-policy';
import { functionSpec, replicas, tableSpec, type FunctionName, type ReplicaOf, type SettingOf, type TableName } from '../../topology/index';

/**
 * A function's configuration, read from its environment once, at cold start, by the keys topology
 * declares for it (topology/environment.ts). A missing table, replica or key fails the cold start and
 * names the key; nothing in a request path reads `process.env`.
 */
export interface FunctionConfig<F extends FunctionName = FunctionName> {
  service: F;
  logLevel: string;
  metricsNamespace: string;
  /** The site's public base URL without trailing slash; undefined: the caller's Host. */
  publicBaseUrl: string | undefined;
  cookieSecure: boolean;
  /** Extra origins allowed to call with credentials, parsed once. */
  corsOrigins: string[];
  /** Secrets Manager id of the origin secret; undefined: every request is refused. */
  originSecretId: string | undefined;
  /** Hex SHA-256 of the origin secret's current value; undefined: every request reads the secret. */
  originDigest: string | undefined;
  /** The verification JWKS (JSON); only functions with a session key. */
  sessionPublicKeys: string;
  /** Secrets Manager id of the signing key; only the function holding the private key. */
  sessionSigningKeySecretId: string;
  /** Where and how much to trace (OTel's variables), and the resource every span names. */
  tracing: TracingConfig;
  /** The replicator's `REPLICAS` (JSON). */
  replicaFeeds: string;
  /** Physical name of a table the function owns. */
  table(name: TableName): string;
  /** Physical name of a replica the function reads. */
  replica(name: ReplicaOf<F>): string;
  /** One of the function's own numeric settings (topology `SETTINGS`). */
  number(key: SettingOf<F>): number;
}

export interface TracingConfig {
  /** OTLP/HTTP traces endpoint; undefined: spans are made (ids reach logs and items) but not sent. */
  endpoint: string | undefined;
  /** Share of new traces recorded, 0 to 1. */
  sampleRatio: number;
  /** OTel resource attributes: the topology name as `service.name`, the deployed name as `faas.name`. */
  resource: Record<string, string>;
}

type Env = Readonly<Record<string, string | undefined>>;

export function functionConfig<F extends FunctionName>(name: F, env: Env = process.env): FunctionConfig<F> {
  const declared = environmentOf(functionSpec(name), replicas);
  const keyOf = (test: (b: Binding) => boolean) => Object.entries(declared).find(([, b]) => test(b))?.[0];
  const present = (key: string) => (env[key] === undefined || env[key] === '' ? undefined : env[key]);
  /** A binding the function cannot run without: read now, so a bad deployment fails at cold start. */
  const required = (key: string | undefined, what: string): (() => string) => {
    if (key === undefined) return () => { throw new Error(`the ${name} function has no ${what} in topology`); };
    const value = present(key);
    if (value === undefined) throw new Error(`${key} environment variable is not set`);
    return () => value;
  };
  const tables = new Map(Object.entries(declared).flatMap(([key, b]) => (b.kind === 'table' ? [[b.table, required(key, `table ${b.table}`)()] as const] : [])));
  const replicaNames = new Map(Object.entries(declared).flatMap(([key, b]) => (b.kind === 'replica' ? [[b.replica, required(key, `replica ${b.replica}`)()] as const] : [])));
  const numbers = new Map(Object.entries(declared).flatMap(([key, b]) => {
    if (b.kind !== 'setting') return [];
    const raw = present(key) ?? b.value;
    const value = Number(raw);
    return Number.isFinite(value) ? [[key, value] as const] : [];
  }));
  const sessionPublicKeys = declared[ENV.sessionPublicKeys] ? required(ENV.sessionPublicKeys, 'session public keys') : required(undefined, 'session public keys');
  const signingKey = declared[ENV.sessionSigningKey] ? required(ENV.sessionSigningKey, 'session signing key') : required(undefined, 'session signing key');
  const feeds = declared[ENV.replicaFeeds] ? required(ENV.replicaFeeds, 'replica feeds') : required(undefined, 'replica feeds');
  const secure = present(ENV.cookieSecure);
  const ratio = Number(present(ENV.tracesSamplerArg) ?? 1);
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`${ENV.tracesSamplerArg} must be a number from 0 to 1`);
  const tracing: TracingConfig = {
    endpoint: present(ENV.tracesEndpoint),
    sampleRatio: ratio,
    // AWS_REGION and AWS_LAMBDA_FUNCTION_NAME are Lambda's own ("Defined runtime environment variables").
    resource: { 'service.name': name, 'cloud.provider': 'aws', 'cloud.platform': 'aws_lambda', 'cloud.region': present('AWS_REGION') ?? '', 'faas.name': present('AWS_LAMBDA_FUNCTION_NAME') ?? name },
  };
  return {
    service: name,
    // Powertools' own variable still works where LOG_LEVEL is not set.
    logLevel: (present(ENV.logLevel) ?? present('POWERTOOLS_LOG_LEVEL') ?? 'INFO').toUpperCase(),
    metricsNamespace: present(ENV.metricsNamespace) ?? (declared[ENV.metricsNamespace] as { value: string }).value,
    publicBaseUrl: present(ENV.publicUrl)?.replace(/\/+$/, ''),
    cookieSecure: secure === undefined ? true : secure === 'true' || secure === '1',
    corsOrigins: parseOrigins(present(ENV.corsOrigins)),
    tracing,
    originSecretId: keyOf((b) => b.kind === 'originSecret') ? present(ENV.originSecret) : undefined,
    originDigest: keyOf((b) => b.kind === 'originDigest') ? present(ENV.originDigest) : undefined,
    get sessionPublicKeys() { return sessionPublicKeys(); },
    get sessionSigningKeySecretId() { return signingKey(); },
    get replicaFeeds() { return feeds(); },
    table(table) {
      const value = tables.get(table);
      if (value === undefined) throw new Error(`the ${name} function does not own table ${tableSpec(table).name}`);
      return value;
    },
    replica(replica) {
      const value = replicaNames.get(replica);
      if (value === undefined) throw new Error(`the ${name} function does not read replica ${replica}`);
      return value;
    },
    number(key) {
      const value = numbers.get(key);
      if (value === undefined) throw new Error(`${key} is not a numeric setting of the ${name} function (or is not a number)`);
      return value;
    },
  };
}
