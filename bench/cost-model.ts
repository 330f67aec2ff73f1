import { functions, type FunctionName } from '../topology/index';

/**
 * The AWS bill of this stack, from what the code actually issues. The DynamoDB operation counts per API
 * call are asserted against the running code by test/unit/cost-model.test.ts, so this table stays true.
 */
export type DynamoOperation = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem' | 'Scan';

export interface OperationCount {
  /** Logical table or replica name (topology). */
  table: string;
  operation: DynamoOperation;
  count: number;
  /** Request units of one such call, for typical items (todo ≈ 0.3 KB, user ≈ 0.4 KB). */
  units: number;
}

export interface ApiCallModel {
  route: string;
  function: FunctionName;
  dynamo: OperationCount[];
  /** Whether the call changes an owned, streamed table (one change record per changed item). */
  changes: number;
  /** Typical response body, bytes (for data transfer). */
  responseBytes: number;
}

const callerLookup: OperationCount = { table: 'users-replica-for-rule', operation: 'GetItem', count: 1, units: 0.5 };

export const API_CALLS: readonly ApiCallModel[] = [
  // 50 todos ≈ 15 KB read strongly consistent: ceil(15/4) = 4 RRU.
  { route: 'GET /api/todos', function: 'rule', dynamo: [callerLookup, { table: 'rules', operation: 'Query', count: 1, units: 4 }], changes: 0, responseBytes: 12_000 },
  { route: 'POST /api/todos', function: 'rule', dynamo: [callerLookup, { table: 'rules', operation: 'PutItem', count: 1, units: 1 }], changes: 1, responseBytes: 300 },
  {
    route: 'PATCH /api/todos/{id}',
    function: 'rule',
    dynamo: [callerLookup, { table: 'rules', operation: 'GetItem', count: 1, units: 1 }, { table: 'rules', operation: 'PutItem', count: 1, units: 1 }],
    changes: 1,
    responseBytes: 300,
  },
  {
    route: 'DELETE /api/todos/{id}',
    function: 'rule',
    dynamo: [callerLookup, { table: 'rules', operation: 'GetItem', count: 1, units: 1 }, { table: 'rules', operation: 'DeleteItem', count: 1, units: 1 }],
    changes: 1,
    responseBytes: 0,
  },
  {
    route: 'POST /api/login/account',
    function: 'user',
    // Lockout counters for the user name and the source IP, the user, then clearing the name's counter.
    dynamo: [{ table: 'login-attempts', operation: 'GetItem', count: 2, units: 1 }, { table: 'users', operation: 'GetItem', count: 1, units: 1 }, { table: 'login-attempts', operation: 'DeleteItem', count: 1, units: 1 }],
    changes: 0,
    responseBytes: 80,
  },
  { route: 'POST /api/register', function: 'user', dynamo: [{ table: 'users', operation: 'PutItem', count: 1, units: 1 }], changes: 1, responseBytes: 80 },
  {
    route: 'GET /api/currentUser',
    function: 'user',
    // Todo counts page through the user's partition of the replica (projection of status only).
    dynamo: [{ table: 'users', operation: 'GetItem', count: 1, units: 1 }, { table: 'rules-replica-for-user', operation: 'Query', count: 1, units: 2 }],
    changes: 0,
    responseBytes: 600,
  },
];

/** Per replicated change: one conditional PutItem per replica of the source; progress once per batch, replica and shard. */
export const PER_CHANGE = {
  replicaWrites: 1,
  replicaWriteUnits: 1,
  progressWritesPerBatch: 1,
  /** A change record (Kinesis for DynamoDB JSON with both images) is ~1.2 KB: billed as 2 KB in, read 1.2 KB out. */
  recordBytes: 1_200,
};

/** us-east-1 list prices, looked up 2026 (see docs/cost.md for sources). */
export const PRICES = {
  date: '2026',
  apiGatewayHttpPerMillion: 1.0,
  lambdaRequestsPerMillion: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  dynamoWruPerMillion: 0.625,
  dynamoRruPerMillion: 0.125,
  dynamoCdcUnitsPerMillion: 0.1,
  dynamoStoragePerGbMonth: 0.25,
  kinesisOnDemandStreamHour: 0.04,
  kinesisOnDemandInPerGb: 0.08,
  kinesisOnDemandOutPerGb: 0.04,
  cloudFrontHttpsPer10k: 0.01,
  cloudFrontOutPerGb: 0.085,
  secretsPerMonth: 0.4,
  secretsPer10kCalls: 0.05,
  logsIngestPerGb: 0.5,
  logsStoragePerGbMonth: 0.03,
  cloudWatchAlarmPerMonth: 0.1,
  cloudWatchDashboardPerMonth: 3.0,
} as const;

export const HOURS_PER_MONTH = 730;

export interface LineItem {
  service: string;
  arithmetic: string;
  usd: number;
}

/**
 * What the deployed stack keeps that is billed by the month. test/infra/cost-inventory.test.ts checks
 * these counts against the resources the Pulumi program creates.
 */
export const MONTHLY_RESOURCES = {
  streams: 1,
  secrets: 1,
  /** Errors and Throttles per function, iterator age, failure-queue depth, API 5xx. */
  alarms: functions.length * 2 + 3,
  dashboards: 1,
};

/** The monthly bill with no traffic: what exists whether or not anyone uses the app. */
export function atRest(counts = MONTHLY_RESOURCES): LineItem[] {
  return [
    { service: 'Kinesis on-demand stream', arithmetic: `${counts.streams} stream × ${HOURS_PER_MONTH} h × $${PRICES.kinesisOnDemandStreamHour}`, usd: counts.streams * HOURS_PER_MONTH * PRICES.kinesisOnDemandStreamHour },
    { service: 'Secrets Manager', arithmetic: `${counts.secrets} secret × $${PRICES.secretsPerMonth}`, usd: counts.secrets * PRICES.secretsPerMonth },
    { service: 'CloudWatch alarms (standard resolution)', arithmetic: `${counts.alarms} alarms × $${PRICES.cloudWatchAlarmPerMonth}`, usd: counts.alarms * PRICES.cloudWatchAlarmPerMonth },
    { service: 'CloudWatch dashboard', arithmetic: `${counts.dashboards} dashboard × $${PRICES.cloudWatchDashboardPerMonth} (the first 3 of an account are free)`, usd: counts.dashboards * PRICES.cloudWatchDashboardPerMonth },
    { service: 'DynamoDB, Lambda, API Gateway, CloudFront, CloudWatch Logs', arithmetic: 'pay per request; storage of an empty app ≈ 0', usd: 0 },
  ];
}

export interface CallCost {
  route: string;
  durationMs: number;
  memoryMb: number;
  items: LineItem[];
  usdPerMillion: number;
}

/** Per million calls of one route, at a measured handler duration (ms) and the function's memory. */
export function perMillionCalls(call: ApiCallModel, durationMs: number, memoryMb: number, logBytesPerCall = 700): CallCost {
  const m = 1e6;
  const rru = call.dynamo.filter((o) => ['GetItem', 'Query', 'Scan'].includes(o.operation)).reduce((s, o) => s + o.count * o.units, 0);
  const wru = call.dynamo.filter((o) => !['GetItem', 'Query', 'Scan'].includes(o.operation)).reduce((s, o) => s + o.count * o.units, 0);
  const gbSeconds = (memoryMb / 1024) * (Math.ceil(durationMs) / 1000);
  const items: LineItem[] = [
    { service: 'CloudFront requests', arithmetic: `100 × $${PRICES.cloudFrontHttpsPer10k} per 10k`, usd: 100 * PRICES.cloudFrontHttpsPer10k },
    { service: 'CloudFront data out', arithmetic: `${call.responseBytes} B × 1M = ${((call.responseBytes * m) / 1e9).toFixed(2)} GB × $${PRICES.cloudFrontOutPerGb}`, usd: ((call.responseBytes * m) / 1e9) * PRICES.cloudFrontOutPerGb },
    { service: 'API Gateway HTTP API', arithmetic: `1M × $${PRICES.apiGatewayHttpPerMillion}/M`, usd: PRICES.apiGatewayHttpPerMillion },
    { service: 'Lambda requests', arithmetic: `1M × $${PRICES.lambdaRequestsPerMillion}/M`, usd: PRICES.lambdaRequestsPerMillion },
    { service: 'Lambda duration (arm64)', arithmetic: `${memoryMb} MB × ${Math.ceil(durationMs)} ms = ${gbSeconds.toFixed(5)} GB-s × 1M × $${PRICES.lambdaArmPerGbSecond}`, usd: gbSeconds * m * PRICES.lambdaArmPerGbSecond },
    { service: 'DynamoDB reads', arithmetic: `${rru} RRU × 1M × $${PRICES.dynamoRruPerMillion}/M`, usd: rru * PRICES.dynamoRruPerMillion },
    { service: 'DynamoDB writes', arithmetic: `${wru} WRU × 1M × $${PRICES.dynamoWruPerMillion}/M`, usd: wru * PRICES.dynamoWruPerMillion },
    { service: 'CloudWatch Logs', arithmetic: `${logBytesPerCall} B × 1M = ${((logBytesPerCall * m) / 1e9).toFixed(2)} GB × $${PRICES.logsIngestPerGb}`, usd: ((logBytesPerCall * m) / 1e9) * PRICES.logsIngestPerGb },
  ];
  return { route: call.route, durationMs, memoryMb, items, usdPerMillion: items.reduce((s, i) => s + i.usd, 0) };
}

/** Per million replicated changes: capture, the stream, the replicator's invocations and its replica writes. */
export function perMillionChanges(batchSize: number, batchDurationMs: number, memoryMb: number, shards = 1): LineItem[] {
  const m = 1e6;
  const kbIn = Math.ceil(PER_CHANGE.recordBytes / 1024);
  const invocations = m / batchSize;
  const gbSeconds = (memoryMb / 1024) * (Math.ceil(batchDurationMs) / 1000);
  return [
    { service: 'DynamoDB change data capture', arithmetic: `1M × 1 CDC unit × $${PRICES.dynamoCdcUnitsPerMillion}/M`, usd: PRICES.dynamoCdcUnitsPerMillion },
    { service: 'Kinesis data in', arithmetic: `1M × ${kbIn} KB (rounded up per record) = ${((kbIn * 1024 * m) / 2 ** 30).toFixed(2)} GB × $${PRICES.kinesisOnDemandInPerGb}`, usd: ((kbIn * 1024 * m) / 2 ** 30) * PRICES.kinesisOnDemandInPerGb },
    { service: 'Kinesis data out', arithmetic: `1M × ${PER_CHANGE.recordBytes} B = ${((PER_CHANGE.recordBytes * m) / 2 ** 30).toFixed(2)} GB × $${PRICES.kinesisOnDemandOutPerGb}`, usd: ((PER_CHANGE.recordBytes * m) / 2 ** 30) * PRICES.kinesisOnDemandOutPerGb },
    { service: 'Lambda requests (replicator)', arithmetic: `1M / ${batchSize} per batch = ${invocations.toFixed(0)} × $${PRICES.lambdaRequestsPerMillion}/M`, usd: (invocations / m) * PRICES.lambdaRequestsPerMillion },
    { service: 'Lambda duration (replicator)', arithmetic: `${invocations.toFixed(0)} × ${memoryMb} MB × ${Math.ceil(batchDurationMs)} ms × $${PRICES.lambdaArmPerGbSecond}/GB-s`, usd: invocations * gbSeconds * PRICES.lambdaArmPerGbSecond },
    { service: 'DynamoDB replica writes', arithmetic: `1M × ${PER_CHANGE.replicaWrites} PutItem × ${PER_CHANGE.replicaWriteUnits} WRU × $${PRICES.dynamoWruPerMillion}/M`, usd: PER_CHANGE.replicaWrites * PER_CHANGE.replicaWriteUnits * PRICES.dynamoWruPerMillion },
    { service: 'DynamoDB progress writes', arithmetic: `${invocations.toFixed(0)} batches × ${shards} shard × 1 WRU × $${PRICES.dynamoWruPerMillion}/M`, usd: ((invocations * shards) / m) * PRICES.dynamoWruPerMillion },
  ];
}
