import { functions, type FunctionName } from '../topology/index';

/**
 * The AWS bill of this stack, from what the code actually issues. The DynamoDB operation counts per API
 * call are asserted against the running code by test/unit/bench/cost-model.test.ts, so this table stays true.
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
 * What the deployed stack keeps that is billed by the month. test/infra/deploy-docs.test.ts checks
 * these counts against the resources the Pulumi program creates.
 */
export const MONTHLY_RESOURCES = {
  streams: 1,
  /** The session signing key and the CloudFront origin secret. */
  secrets: 2,
  /**
   * Errors and Throttles per function, iterator age, failure-queue depth, API 5xx, and per function the
   * rollout's two alarms on the new version (errors, duration) that make CodeDeploy roll back.
   */
  alarms: functions.length * 4 + 3,
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

// ---------------------------------------------------------------------------------------------------
// Capacity at a sustained load (docs/capacity.md): what each service must carry, against its quota,
// and the monthly bill at that rate.

/**
 * Bytes of a typical todo (34-character name, no description) and of its change records as the streaming
 * destination writes them; test/unit/bench/cost-model.test.ts rebuilds them with the record builder. INSERT and
 * REMOVE carry one image, MODIFY both, so a PATCH's record is billed as 2 KB of Kinesis data in.
 */
export const ITEM_BYTES = { todo: 218 } as const;
export const CHANGE_RECORD_BYTES = { INSERT: 793, MODIFY: 1_129, REMOVE: 793 } as const;

/** AWS default quotas relied on; sources and dates in docs/capacity.md. */
export const QUOTAS = {
  /** Kinesis: per shard, both capacity modes. */
  shardWriteRecordsPerSec: 1_000,
  shardWriteBytesPerSec: 1024 * 1024,
  /** GetRecords calls per shard per second, shared by every standard consumer. */
  shardReadCallsPerSec: 5,
  /** A new on-demand stream: 4 MB/s write, i.e. the capacity of 4 shards. */
  onDemandInitialShards: 4,
  parallelizationFactorMax: 10,
  /** DynamoDB on-demand: a new table sustains this much before it scales; every table is capped by the second pair. */
  dynamoNewTableWru: 4_000,
  dynamoNewTableRru: 12_000,
  dynamoTableMaxWru: 40_000,
  dynamoTableMaxRru: 40_000,
  /** Per partition, i.e. per userId in the rules table and its replica. */
  dynamoPartitionWru: 1_000,
  dynamoPartitionRru: 3_000,
  /** Lambda: concurrent executions per account and Region (new accounts start lower); scaling per function. */
  lambdaConcurrency: 1_000,
  lambdaScalingPer10s: 1_000,
  /** API Gateway: requests per second per account and Region, all APIs together (burst bucket 5,000). */
  apiGatewayRps: 10_000,
  apiGatewayBurst: 5_000,
  /** CloudFront, per distribution. */
  cloudFrontRps: 250_000,
  cloudFrontGbps: 150,
} as const;

/** Replicator wall time for a batch of n records: base + n × perRecord, fitted to the bench's bursts. */
export interface ReplicatorTiming {
  baseMs: number;
  perRecordMs: number;
}

/**
 * From the replication bench's bursts (changes/s per batch size over `shards` shards, one batch in flight per
 * shard): per-batch wall time = shards × batch / rate, fitted by least squares over the batch sizes.
 * The best repeat is used, the one least disturbed by the shared machine.
 */
export function fitReplicatorTiming(bursts: Record<string, Array<{ replicatedPerSec: number }>>, shards: number): ReplicatorTiming {
  const points = Object.entries(bursts)
    .map(([size, runs]) => ({ n: Number(size), ms: (shards * Number(size) * 1000) / Math.max(...runs.map((r) => r.replicatedPerSec)) }))
    .filter((p) => Number.isFinite(p.ms) && p.n > 0);
  if (points.length < 2) throw new Error('need bursts at two batch sizes or more');
  const mean = (f: (p: (typeof points)[number]) => number) => points.reduce((s, p) => s + f(p), 0) / points.length;
  const mn = mean((p) => p.n);
  const mms = mean((p) => p.ms);
  const slope = points.reduce((s, p) => s + (p.n - mn) * (p.ms - mms), 0) / points.reduce((s, p) => s + (p.n - mn) ** 2, 0);
  return { baseMs: Math.max(0, mms - slope * mn), perRecordMs: slope };
}

export interface LoadInput {
  writesPerSec: number;
  /** GET /api/todos per write. */
  readsPerWrite: number;
  /** Handler durations (ms) by route, e.g. measured by the bench. */
  durationsMs: Record<'GET /api/todos' | 'POST /api/todos' | 'PATCH /api/todos/{id}', number>;
  /** Share of writes that are POST (new todo); the rest are PATCH. */
  postShare: number;
  timing: ReplicatorTiming;
  batchSize: number;
  parallelizationFactor: number;
  memoryMb: { rule: number; replicator: number };
}

export interface LoadStep {
  input: LoadInput;
  apiRps: number;
  stream: { recordsPerSec: number; bytesPerSec: number; billedKbPerSec: number; shards: number; shardsBy: 'initial' | 'records' | 'bytes' };
  replicator: {
    /** Concurrent batches the mapping can run: shards × parallelization factor. */
    concurrency: number;
    /** Changes per batch lane per second, and the records and wall time of each batch at this load. */
    perLaneChangesPerSec: number;
    recordsPerBatch: number;
    batchMs: number;
    invocationsPerSec: number;
    /** Most changes/s the mapping sustains with full batches. */
    capacityPerSec: number;
    utilisation: number;
    /** Owner's write → replica, expected mean (ms), or Infinity when the replicator cannot keep up. */
    lagMs: number;
  };
  lambdaConcurrency: { rule: number; replicator: number; total: number };
  dynamo: { rulesWru: number; rulesRru: number; usersReplicaRru: number; rulesReplicaWru: number };
  monthly: LineItem[];
}

const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
/** Kinesis to a shared-throughput (polling) consumer: ~200 ms propagation (Kinesis developer guide). */
export const KINESIS_PROPAGATION_MS = 200;

/** What the stack carries at a sustained write rate, and what that costs per month. */
export function loadStep(input: LoadInput): LoadStep {
  const { writesPerSec: w, readsPerWrite, postShare, timing, batchSize, parallelizationFactor: pf } = input;
  const reads = w * readsPerWrite;
  const posts = w * postShare;
  const patches = w - posts;
  const apiRps = w + reads;

  // Stream: one change record per write (rules table); MODIFY records carry both images.
  const bytesPerSec = posts * CHANGE_RECORD_BYTES.INSERT + patches * CHANGE_RECORD_BYTES.MODIFY;
  const billedKbPerSec = posts * Math.ceil(CHANGE_RECORD_BYTES.INSERT / 1024) + patches * Math.ceil(CHANGE_RECORD_BYTES.MODIFY / 1024);
  const byRecords = Math.ceil(w / QUOTAS.shardWriteRecordsPerSec);
  const byBytes = Math.ceil(bytesPerSec / QUOTAS.shardWriteBytesPerSec);
  const shards = Math.max(QUOTAS.onDemandInitialShards, byRecords, byBytes);
  const shardsBy = shards === QUOTAS.onDemandInitialShards ? 'initial' : byRecords >= byBytes ? 'records' : 'bytes';

  // Replicator: each lane (shard × factor) runs one batch at a time and polls again when it ends, but a
  // shard answers at most 5 GetRecords per second. A batch holds what arrived during the previous cycle.
  const concurrency = shards * pf;
  const lane = w / concurrency;
  const minCycleMs = 1000 / QUOTAS.shardReadCallsPerSec;
  // n = lane × cycle, cycle = max(minCycle, base + n × perRecord): the fixed point, capped at the batch size.
  const saturated = lane * timing.perRecordMs >= 1000;
  let n = saturated ? batchSize : Math.max((lane * minCycleMs) / 1000, (lane * timing.baseMs) / (1000 - lane * timing.perRecordMs));
  n = Math.min(batchSize, Math.max(1, n));
  const batchMs = timing.baseMs + n * timing.perRecordMs;
  const cycleMs = Math.max(minCycleMs, batchMs);
  const capacityPerSec = (concurrency * batchSize * 1000) / Math.max(minCycleMs, timing.baseMs + batchSize * timing.perRecordMs);
  const utilisation = w / capacityPerSec;
  const invocationsPerSec = Math.min(w, (concurrency * 1000) / cycleMs);
  // Mean lag: Kinesis propagation, half a cycle waiting for the next poll, then the batch itself.
  const lagMs = utilisation < 1 ? KINESIS_PROPAGATION_MS + cycleMs / 2 + batchMs : Number.POSITIVE_INFINITY;

  // Little's law: concurrency = arrival rate × time in the function.
  const d = input.durationsMs;
  const rule = (reads * d['GET /api/todos'] + posts * d['POST /api/todos'] + patches * d['PATCH /api/todos/{id}']) / 1000;
  const replicator = Math.min(concurrency, (invocationsPerSec * batchMs) / 1000);

  const call = (route: string) => API_CALLS.find((c) => c.route === route) as ApiCallModel;
  const units = (route: string, table: string, read: boolean) =>
    call(route).dynamo.filter((o) => o.table === table && ['GetItem', 'Query', 'Scan'].includes(o.operation) === read).reduce((s, o) => s + o.count * o.units, 0);
  const dynamo = {
    rulesWru: posts * units('POST /api/todos', 'rules', false) + patches * units('PATCH /api/todos/{id}', 'rules', false),
    rulesRru: reads * units('GET /api/todos', 'rules', true) + patches * units('PATCH /api/todos/{id}', 'rules', true),
    usersReplicaRru: apiRps * callerLookup.units,
    rulesReplicaWru: w * PER_CHANGE.replicaWriteUnits,
  };

  const month = (perSec: number) => perSec * SECONDS_PER_MONTH;
  const perCall = (route: string, rate: number): LineItem => {
    const c = perMillionCalls(call(route), d[route as keyof LoadInput['durationsMs']], input.memoryMb.rule);
    return { service: `${route}: CloudFront, API Gateway, Lambda, DynamoDB, logs`, arithmetic: `${fmt(month(rate) / 1e6)} M × $${c.usdPerMillion.toFixed(2)}/M`, usd: (month(rate) / 1e6) * c.usdPerMillion };
  };
  const gb = (bytes: number) => bytes / 2 ** 30;
  const replicatorGbS = (input.memoryMb.replicator / 1024) * (Math.ceil(batchMs) / 1000);
  const monthly: LineItem[] = [
    ...atRest(),
    perCall('GET /api/todos', reads),
    perCall('POST /api/todos', posts),
    perCall('PATCH /api/todos/{id}', patches),
    { service: 'DynamoDB change data capture', arithmetic: `${fmt(month(w) / 1e6)} M changes × 1 unit (images < 1 KB) × $${PRICES.dynamoCdcUnitsPerMillion}/M`, usd: (month(w) / 1e6) * PRICES.dynamoCdcUnitsPerMillion },
    { service: 'Kinesis data in', arithmetic: `${fmt(billedKbPerSec / w)} KB/record billed × ${fmt(month(w) / 1e6)} M = ${fmt(gb(month(billedKbPerSec) * 1024))} GB × $${PRICES.kinesisOnDemandInPerGb}`, usd: gb(month(billedKbPerSec) * 1024) * PRICES.kinesisOnDemandInPerGb },
    { service: 'Kinesis data out (1 consumer)', arithmetic: `${fmt(gb(month(bytesPerSec)))} GB × $${PRICES.kinesisOnDemandOutPerGb}`, usd: gb(month(bytesPerSec)) * PRICES.kinesisOnDemandOutPerGb },
    { service: 'Replicator invocations', arithmetic: `${fmt(month(invocationsPerSec) / 1e6)} M × $${PRICES.lambdaRequestsPerMillion}/M`, usd: (month(invocationsPerSec) / 1e6) * PRICES.lambdaRequestsPerMillion },
    { service: 'Replicator duration', arithmetic: `${fmt(month(invocationsPerSec) / 1e6)} M × ${Math.ceil(batchMs)} ms × ${input.memoryMb.replicator} MB × $${PRICES.lambdaArmPerGbSecond}/GB-s`, usd: month(invocationsPerSec) * replicatorGbS * PRICES.lambdaArmPerGbSecond },
    { service: 'Replica and progress writes', arithmetic: `(${fmt(month(w) / 1e6)} M + ${fmt(month(invocationsPerSec) / 1e6)} M) WRU × $${PRICES.dynamoWruPerMillion}/M`, usd: ((month(w) + month(invocationsPerSec)) / 1e6) * PRICES.dynamoWruPerMillion },
  ];
  return {
    input,
    apiRps,
    stream: { recordsPerSec: w, bytesPerSec, billedKbPerSec, shards, shardsBy },
    replicator: { concurrency, perLaneChangesPerSec: lane, recordsPerBatch: n, batchMs, invocationsPerSec, capacityPerSec, utilisation, lagMs },
    lambdaConcurrency: { rule, replicator, total: rule + replicator },
    dynamo,
    monthly,
  };
}

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
