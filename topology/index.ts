/**
 * The one declarative description of the stack, read by both runtimes:
 * infra/ turns it into AWS resources, local/ runs it on dynalite and kinesalite.
 * Plain data and types only: no Pulumi, no AWS SDK, no I/O.
 */

export type FunctionName = 'static' | 'rule' | 'user' | 'replicator';
export type TableName = 'rules' | 'users' | 'login-attempts' | 'replication-state';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** DynamoDB attribute types a read model may declare. */
export type AttributeType = 'S' | 'N' | 'BOOL';

/**
 * What a replica's reader may see of the source's items: attribute name → type. The replication
 * bookkeeping (key attributes, `version`, the tombstone attributes) comes on top and is never listed.
 */
export type ReadModel = Readonly<Record<string, AttributeType>>;

type ValueOf<T extends AttributeType> = T extends 'S' ? string : T extends 'N' ? number : boolean;

/**
 * A replica item as a reader gets it from the document client. Every read-model attribute may be
 * absent (items written before an attribute existed, or holding another type, which the replicator
 * leaves out), and a tombstone carries only the key and the bookkeeping.
 */
export type ReplicaItem<M extends ReadModel> = { readonly [K in keyof M]?: ValueOf<M[K]> } & {
  readonly [VERSION_ATTRIBUTE]?: number;
  readonly [TOMBSTONE_ATTRIBUTE]?: boolean;
};

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N';
}

export interface TableSpec {
  name: TableName;
  /** The only function allowed to write it. */
  owner: FunctionName;
  hashKey: KeyAttribute;
  rangeKey?: KeyAttribute;
  /** Every change is captured into the change stream (DynamoDB Kinesis streaming destination). */
  streamed: boolean;
  /** Attribute holding an epoch-seconds expiry, if items expire. */
  ttlAttribute?: string;
  /** Environment variable carrying the physical table name to its owner. */
  envVar: string;
  /**
   * Streamed tables: the attributes a replica may carry, with their types. Anything else (password
   * hashes, salts, e-mail addresses, tokens) never leaves the table, whatever a replica asks for.
   */
  replicable?: ReadModel;
}

export interface ReplicaSpec {
  name: string;
  source: TableName;
  /** The function that reads the replica instead of calling the source's owner. */
  reader: FunctionName;
  /** Environment variable carrying the replica's physical name to its reader. */
  envVar: string;
  /** The only attributes, besides the bookkeeping, the replicator writes into this replica. */
  readModel: ReadModel;
}

/**
 * A replica feed: one replica and the source table that feeds it, with physical names and the read model
 * the replicator projects onto. The replicator gets the list of them in `REPLICAS`; `npm run replicas`
 * compares and backfills one feed at a time.
 */
export interface ReplicaFeed {
  replica: string;
  source: string;
  attributes: ReadModel;
}

export interface RouteSpec {
  /** API Gateway route key, e.g. `GET /api/todos/{id}` or `$default`. */
  routeKey: string;
  function: FunctionName;
}

export interface FunctionSpec {
  name: FunctionName;
  /** Source entry point bundled by esbuild. */
  entry: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** Tables it owns (read/write). */
  ownsTables: TableName[];
  /** The replicator writes every replica and reads the change stream. */
  consumesChangeStream?: boolean;
  /** Session key material it needs: the user service signs, everyone else only verifies. */
  sessionKey?: 'private' | 'public';
  /** Its own settings (`SETTINGS`); a test or `startStack({ env })` may override one locally. */
  settings?: Readonly<Record<string, string | number>>;
}

/** Attribute names the replication contract depends on. */
export const VERSION_ATTRIBUTE = 'version';
export const TOMBSTONE_ATTRIBUTE = '_deleted';
export const TOMBSTONE_TTL_ATTRIBUTE = '_expiresAt';
/** How long a tombstone outlives the delete it records: longer than the stream's maximum retention. */
export const TOMBSTONE_TTL_SECONDS = 8 * 24 * 3600;

export const CHANGE_STREAM = {
  name: 'changes',
  /** Local shard count (kinesalite has no on-demand mode); on AWS the stream is on-demand by default. */
  localShardCount: 2,
  retentionHours: 24,
} as const;

/** The user service counts a user's todos, open and total: it needs the status and nothing else. */
export const RULES_FOR_USER = { status: 'N' } as const satisfies ReadModel;
/** The rule service shows each todo's owner and refuses sessions signed out everywhere. */
export const USERS_FOR_RULE = { userId: 'S', displayName: 'S', sessionVersion: 'N' } as const satisfies ReadModel;

export const tables: readonly TableSpec[] = [
  {
    name: 'rules',
    owner: 'rule',
    hashKey: { name: 'userId', type: 'S' },
    rangeKey: { name: 'key', type: 'S' },
    streamed: true,
    envVar: 'RULES_TABLE',
    replicable: { name: 'S', desc: 'S', status: 'N', progress: 'N', order: 'N', createdAt: 'S', updatedAt: 'S' },
  },
  {
    name: 'users',
    owner: 'user',
    hashKey: { name: 'userName', type: 'S' },
    streamed: true,
    envVar: 'USERS_TABLE',
    // Not passwordHash (nor its salt and parameters, which it carries) and not email.
    replicable: { userId: 'S', displayName: 'S', avatar: 'S', title: 'S', signature: 'S', sessionVersion: 'N', createdAt: 'S', updatedAt: 'S' },
  },
  {
    name: 'login-attempts',
    owner: 'user',
    hashKey: { name: 'id', type: 'S' },
    streamed: false,
    ttlAttribute: 'expiresAt',
    envVar: 'LOGIN_ATTEMPTS_TABLE',
  },
  {
    name: 'replication-state',
    owner: 'replicator',
    hashKey: { name: 'replica', type: 'S' },
    rangeKey: { name: 'shardId', type: 'S' },
    streamed: false,
    envVar: 'REPLICATION_STATE_TABLE',
  },
];

/**
 * The replicas the functions' code reads. A stack may add more by configuration (`noops-todo:replicas` on
 * AWS, `npm run replicas -- add` locally), never fewer. Each function reads the replicas whose `reader`
 * it is: there is no second list to keep in step.
 */
export const replicas = [
  { name: 'rules-replica-for-user', source: 'rules', reader: 'user', envVar: 'RULES_REPLICA_TABLE', readModel: RULES_FOR_USER },
  { name: 'users-replica-for-rule', source: 'users', reader: 'rule', envVar: 'USERS_REPLICA_TABLE', readModel: USERS_FOR_RULE },
] as const satisfies readonly ReplicaSpec[];

/** A replica's name, from the data above. */
export type ReplicaName = (typeof replicas)[number]['name'];
/** The replicas function `F`'s code reads: `config.replica()` accepts only these, so a typo fails `tsc`. */
export type ReplicaOf<F extends FunctionName> = Extract<(typeof replicas)[number], { reader: F }>['name'];

/**
 * Each function's own settings: environment key → value, set the same in both runtimes and read by
 * its handler with `config.number(key)`, which only accepts the keys declared here.
 */
export const SETTINGS = {
  static: {},
  /** The SDK's attempts per DynamoDB call (adaptive retries back off on throttling). */
  rule: { DYNAMODB_MAX_ATTEMPTS: 5 },
  user: {
    DYNAMODB_MAX_ATTEMPTS: 5,
    SESSION_TTL_SECONDS: 7 * 86400,
    // scrypt's cost parameter N (r = 8, p = 1); tests lower it to run fast.
    SCRYPT_N: 2 ** 15,
    LOGIN_MAX_FAILURES: 5,
    LOGIN_WINDOW_SECONDS: 900,
    LOGIN_LOCKOUT_SECONDS: 900,
    LOGIN_SLOWDOWN_MS: 100,
  },
  replicator: { DYNAMODB_MAX_ATTEMPTS: 5 },
} as const satisfies Record<FunctionName, Readonly<Record<string, string | number>>>;

/** The setting keys of function `F`. */
export type SettingOf<F extends FunctionName> = keyof (typeof SETTINGS)[F] & string;

export const functions: readonly FunctionSpec[] = [
  {
    name: 'static',
    entry: 'lambdas/static/handler.ts',
    description: 'Serves the web app (SPA fallback to index.html)',
    memoryMb: 256,
    timeoutSeconds: 5,
    ownsTables: [],
    settings: SETTINGS.static,
  },
  {
    name: 'rule',
    entry: 'lambdas/rule/handler.ts',
    description: 'Todo ("rule") service: /api/rule and /api/todos',
    memoryMb: 512,
    timeoutSeconds: 10,
    ownsTables: ['rules'],
    sessionKey: 'public',
    settings: SETTINGS.rule,
  },
  {
    name: 'user',
    entry: 'lambdas/user/handler.ts',
    description: 'User service: register, login, current user',
    memoryMb: 1024,
    timeoutSeconds: 10,
    ownsTables: ['users', 'login-attempts'],
    sessionKey: 'private',
    settings: SETTINGS.user,
  },
  {
    name: 'replicator',
    entry: 'lambdas/replicator/handler.ts',
    description: 'Applies the change stream to replica tables; reports replication status',
    memoryMb: 512,
    timeoutSeconds: 60,
    ownsTables: ['replication-state'],
    consumesChangeStream: true,
    sessionKey: 'public',
    settings: SETTINGS.replicator,
  },
];

export const routes: readonly RouteSpec[] = [
  { routeKey: 'GET /api/rule', function: 'rule' },
  { routeKey: 'POST /api/rule', function: 'rule' },
  { routeKey: 'PUT /api/rule', function: 'rule' },
  { routeKey: 'DELETE /api/rule', function: 'rule' },
  { routeKey: 'GET /api/todos', function: 'rule' },
  { routeKey: 'POST /api/todos', function: 'rule' },
  { routeKey: 'DELETE /api/todos', function: 'rule' },
  { routeKey: 'GET /api/todos/{id}', function: 'rule' },
  { routeKey: 'PATCH /api/todos/{id}', function: 'rule' },
  { routeKey: 'DELETE /api/todos/{id}', function: 'rule' },
  { routeKey: 'POST /api/register', function: 'user' },
  { routeKey: 'POST /api/login/account', function: 'user' },
  { routeKey: 'POST /api/login/outLogin', function: 'user' },
  { routeKey: 'POST /api/login/token', function: 'user' },
  { routeKey: 'GET /api/currentUser', function: 'user' },
  { routeKey: 'GET /api/replication', function: 'replicator' },
  { routeKey: '$default', function: 'static' },
];

/** Event source mapping settings for the replicator (same values locally and on AWS). */
export const CHANGE_CONSUMER = {
  batchSize: 100,
  maximumBatchingWindowSeconds: 0,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 5,
  maximumRecordAgeSeconds: 3600,
  parallelizationFactor: 1,
  startingPosition: 'TRIM_HORIZON',
  /** Local poll interval; Lambda polls each shard about once a second when idle. */
  pollingIntervalMs: 50,
} as const;

export function tableSpec(name: TableName): TableSpec {
  const spec = tables.find((t) => t.name === name);
  if (!spec) throw new Error(`Unknown table "${name}"`);
  return spec;
}

export function functionSpec(name: FunctionName): FunctionSpec {
  const spec = functions.find((f) => f.name === name);
  if (!spec) throw new Error(`Unknown function "${name}"`);
  return spec;
}

export function replicasOf(source: TableName, all: readonly ReplicaSpec[] = replicas): ReplicaSpec[] {
  return all.filter((r) => r.source === source);
}

/** The feed of one replica, with physical names; infra/ and local/ both build `REPLICAS` with it. */
export function replicaFeed(replica: { name: string; source: string; readModel: ReadModel }, physical: (logical: string) => string): ReplicaFeed {
  return { replica: physical(replica.name), source: physical(replica.source), attributes: replica.readModel };
}

/**
 * The key attributes of a table, hash key first; a replica has its source's, so that a change record's
 * Keys address the replica item directly. infra/ (table and replica components) and local/dynamodb both
 * create tables from this.
 */
export function keyAttributesOf(table: Pick<TableSpec, 'hashKey' | 'rangeKey'>): KeyAttribute[] {
  return table.rangeKey ? [table.hashKey, table.rangeKey] : [table.hashKey];
}

/** The key schema of a replica: its source table's. */
export function replicaKeySchema(replica: { name?: string; source: TableName }, all: readonly TableSpec[] = tables): Pick<TableSpec, 'hashKey' | 'rangeKey'> {
  const source = all.find((t) => t.name === replica.source);
  if (!source) throw new Error(`Replica "${replica.name}" copies unknown table "${replica.source}"`);
  const { hashKey, rangeKey } = source;
  return rangeKey ? { hashKey, rangeKey } : { hashKey };
}

/** Physical name of a table or replica in a stack, e.g. `noops-todo-dev-rules`; empty prefix locally. */
export function physicalName(prefix: string, logical: string): string {
  return prefix ? `${prefix}-${logical}` : logical;
}
