import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { BatchGetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import http from 'node:http';
import { changeRecord, partitionKey } from '../../local/dynamodb/streaming-record';
import { kinesisClient } from '../../local/kinesis';
import { percentile } from '../lib/stats';

/**
 * Replication probes, run inside a load child. Lag: todos created through the API (the owner's real write
 * path, captured by the streaming destination) at a steady rate, each watched for in the replica from
 * the moment its 201 arrives. Throughput: change records put straight onto the stream, so the stream,
 * the event source mapping and the replicator are measured, not the writers.
 */
export interface LagResult {
  writes: number;
  seen: number;
  p50: number;
  p99: number;
  max: number;
  achievedRate: number;
}

export interface BurstResult {
  changes: number;
  writeSeconds: number;
  /** Changes per second from the first write to the last one visible in the replica. */
  replicatedPerSec: number;
  writesPerSec: number;
  complete: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks the replica for up to 100 outstanding keys at once, so polling cost tracks the lag, not the table. */
async function visible(db: DynamoDBDocumentClient, replica: string, userId: string, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const out = await db.send(new BatchGetCommand({ RequestItems: { [replica]: { Keys: keys.slice(0, 100).map((key) => ({ userId, key })), ProjectionExpression: '#k', ExpressionAttributeNames: { '#k': 'key' } } } }));
  return (out.Responses?.[replica] ?? []).map((i) => i.key as string);
}

export interface LagOptions {
  url: string;
  headers: Record<string, string>;
  replica: string;
  userId: string;
  rate: number;
  durationSec: number;
  pollMs: number;
}

function createTodo(agent: http.Agent, url: string, headers: Record<string, string>, title: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.request(new URL('/api/todos', url), { method: 'POST', headers, agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 201 ? ((JSON.parse(body) as { id?: string }).id ?? undefined) : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.end(JSON.stringify({ title }));
  });
}

export async function runLag(db: DynamoDBDocumentClient, o: LagOptions): Promise<LagResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const acked = new Map<string, number>();
  const lags: number[] = [];
  const total = Math.max(1, Math.round(o.rate * o.durationSec));
  let writing = true;
  const poller = (async () => {
    let stopAt = Infinity;
    while (performance.now() < stopAt) {
      if (!writing && stopAt === Infinity) stopAt = performance.now() + 5_000;
      const found = await visible(db, o.replica, o.userId, [...acked.keys()]).catch(() => []);
      const now = performance.now();
      for (const key of found) {
        lags.push(now - acked.get(key)!);
        acked.delete(key);
      }
      if (!writing && acked.size === 0) break;
      await sleep(o.pollMs);
    }
  })();
  // Open loop: each write starts on schedule whether or not earlier ones finished, as real traffic does.
  const started = performance.now();
  const inflight: Array<Promise<void>> = [];
  let failed = 0;
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / o.rate - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(createTodo(agent, o.url, o.headers, `lag ${i}`).then((id) => (id ? void acked.set(id, performance.now()) : void failed++)));
  }
  await Promise.all(inflight);
  const writeSeconds = (performance.now() - started) / 1000;
  writing = false;
  await poller;
  agent.destroy();
  return { writes: total - failed, seen: lags.length, p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.length ? Math.max(...lags) : Number.NaN, achievedRate: (total - failed) / writeSeconds };
}

/** Replica items of `userId` at `version` (each key's last change is version `versions`). */
async function replicaCount(db: DynamoDBDocumentClient, replica: string, userId: string, version: number): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ TableName: replica, KeyConditionExpression: 'userId = :u', FilterExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':u': userId, ':v': version }, Select: 'COUNT', ExclusiveStartKey: start }));
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

export interface BurstOptions {
  kinesisEndpoint: string;
  streamName: string;
  table: string;
  replica: string;
  userId: string;
  /** Change records in all: `count / versions` keys, each changed `versions` times (default 1: INSERTs only). */
  count: number;
  versions?: number;
  timeoutSec: number;
}

/** Strings and numbers only: all a bench todo holds (util-dynamodb is not a direct dependency). */
function marshall(item: Record<string, string | number>): Record<string, { S: string } | { N: string }> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : { S: v }]));
}

/**
 * Change records exactly as the streaming destination writes them: the INSERT of a version-1 todo per key,
 * then (with `versions` > 1) a MODIFY per version, round by round, so each key's changes are spread over the stream.
 */
function records(o: BurstOptions): Array<{ Data: Uint8Array; PartitionKey: string }> {
  const at = new Date().toISOString();
  const versions = o.versions ?? 1;
  const keyCount = Math.ceil(o.count / versions);
  const image = (i: number, key: string, version: number) => marshall({ userId: o.userId, key, name: `replicated ${i} v${version}`, status: 1, progress: 0, order: i, createdAt: at, updatedAt: at, version });
  return Array.from({ length: keyCount * versions }, (_, n) => {
    const version = Math.floor(n / keyCount) + 1;
    const i = n % keyCount;
    const key = `burst-${i.toString().padStart(7, '0')}`;
    const keys = marshall({ userId: o.userId, key });
    const change = { tableName: o.table, keys, newImage: image(i, key, version), ...(version > 1 ? { oldImage: image(i, key, version - 1) } : {}) };
    const record = changeRecord(change, { region: 'us-east-1', nowMicros: Date.now() * 1000 });
    return { Data: Buffer.from(JSON.stringify(record)), PartitionKey: partitionKey(o.table, keys) };
  });
}

export async function runBurst(db: DynamoDBDocumentClient, o: BurstOptions): Promise<BurstResult> {
  const kinesis = kinesisClient(o.kinesisEndpoint);
  const all = records(o);
  const started = performance.now();
  for (let i = 0; i < all.length; i += 500) {
    await kinesis.send(new PutRecordsCommand({ StreamName: o.streamName, Records: all.slice(i, i + 500) }), { abortSignal: AbortSignal.timeout(10_000) });
  }
  const writeSeconds = (performance.now() - started) / 1000;
  let complete = false;
  let lastSeenAt = performance.now();
  while (performance.now() - started < o.timeoutSec * 1000) {
    const n = await replicaCount(db, o.replica, o.userId, o.versions ?? 1).catch(() => 0);
    lastSeenAt = performance.now();
    if (n >= Math.ceil(o.count / (o.versions ?? 1))) {
      complete = true;
      break;
    }
    await sleep(50);
  }
  kinesis.destroy();
  const seconds = (lastSeenAt - started) / 1000;
  return { changes: all.length, writeSeconds, replicatedPerSec: complete ? all.length / seconds : Number.NaN, writesPerSec: all.length / writeSeconds, complete };
}
