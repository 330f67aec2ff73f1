import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { signIn, startBenchStack } from './lib/stack';
import { percentile } from './lib/stats';

/**
 * `npx tsx bench/profile-replication.ts [--rate 50] [--seconds 5] [--batch-size 100]`: where a change's
 * replication lag goes. Todos are created through the API at a steady rate (open loop) while this process
 * watches each change on its way: the change record's creation time (the streaming destination, before
 * PutRecord), its arrival in Kinesis, the replicator invocation that carries it (start, end) and the first
 * replica read that sees it. Prints p50/p99 of each step, in ms from the API's 201.
 */
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '5' },
    'batch-size': { type: 'string' },
    'poll-ms': { type: 'string', default: '5' },
    /**
     * A/B: a module (path relative to bench/) exporting startEventSourceMapping, run in place of the
     * stack's mapping, e.g. an older local/kinesis/event-source-mapping.ts from git. It gets no wake-up hints.
     */
    esm: { type: 'string' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const batchSize = values['batch-size'] ? Number(values['batch-size']) : undefined;

const stack = await startBenchStack({ quick: true, ...(batchSize ? { changeConsumer: { batchSize } } : {}) });
if (values.esm) {
  await stack.replication.stop();
  const alternative = (await import(values.esm)) as typeof import('../local/kinesis/event-source-mapping');
  const esm = await alternative.startEventSourceMapping({ kinesisEndpoint: stack.kinesisEndpoint, streamName: 'changes', invoke: (event) => stack.pool.invoke('replicator', event), settings: { ...(batchSize ? { batchSize } : {}), startingPosition: 'LATEST' } });
  Object.assign(stack, { replication: esm });
}
const session = await signIn(stack.url, `profile-${Date.now()}`);
const replica = stack.tableName('rules-replica-for-user');

interface Trace {
  sent: number;
  acked?: number;
  created?: number;
  arrived?: number;
  invokeStart?: number;
  invokeEnd?: number;
  batch?: number;
  visible?: number;
}
const traces = new Map<string, Trace>();
// performance.now() and wall-clock times on one axis.
const wallToPerf = (ms: number) => ms - performance.timeOrigin;

const invoke = stack.pool.invoke.bind(stack.pool);
stack.pool.invoke = async (name: string, event: unknown, options?: { traceId?: string }) => {
  if (name !== 'replicator' || !(event as KinesisStreamEvent).Records) return invoke(name, event, options);
  const started = performance.now();
  const records = (event as KinesisStreamEvent).Records.map((r) => ({
    change: JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')),
    arrival: r.kinesis.approximateArrivalTimestamp * 1000,
  }));
  try {
    return await invoke(name, event, options);
  } finally {
    const ended = performance.now();
    for (const { change, arrival } of records) {
      const trace = traces.get(change.dynamodb?.Keys?.key?.S);
      if (!trace || trace.invokeStart !== undefined) continue;
      Object.assign(trace, { created: wallToPerf(change.dynamodb.ApproximateCreationDateTime / 1000), arrived: wallToPerf(arrival), invokeStart: started, invokeEnd: ended, batch: records.length });
    }
  }
};

// The pool's own figure for each replicator invocation (in the worker, without IPC and queueing).
const handlerMs: number[] = [];
stack.pool.on('invocation', (e) => {
  if (e.function === 'replicator' && e.phase === 'end' && e.durationMs !== undefined) handlerMs.push(e.durationMs);
});

const db = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
let writing = true;
const poller = (async () => {
  const deadline = () => (writing ? Infinity : stopAt);
  let stopAt = Infinity;
  while (performance.now() < deadline()) {
    if (!writing && stopAt === Infinity) stopAt = performance.now() + 5_000;
    const outstanding = [...traces.entries()].filter(([, t]) => t.acked !== undefined && t.visible === undefined).map(([k]) => k).slice(0, 100);
    if (outstanding.length > 0) {
      const out = await db.send(new BatchGetItemCommand({ RequestItems: { [replica]: { Keys: outstanding.map((key) => ({ userId: { S: session.userId }, key: { S: key } })), ProjectionExpression: '#k', ExpressionAttributeNames: { '#k': 'key' } } } }));
      const now = performance.now();
      for (const item of out.Responses?.[replica] ?? []) traces.get(item.key!.S!)!.visible = now;
    } else if (!writing) break;
    await new Promise((r) => setTimeout(r, Number(values['poll-ms'])));
  }
})();

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const create = (title: string) =>
  new Promise<{ status: number; id?: string }>((resolve) => {
    const req = http.request(new URL('/api/todos', stack.url), { method: 'POST', headers: session.headers, agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, id: res.statusCode === 201 ? (JSON.parse(body) as { id: string }).id : undefined }));
    });
    req.on('error', () => resolve({ status: 0 }));
    req.end(JSON.stringify({ title }));
  });
const statuses = new Map<number, number>();
const started = performance.now();
const inflight: Array<Promise<void>> = [];
for (let i = 0; i < rate * seconds; i++) {
  const wait = started + (i * 1000) / rate - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const sent = performance.now();
  inflight.push(
    create(`profile ${i}`).then(({ status, id }) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (id) {
        const trace = traces.get(id) ?? { sent };
        traces.set(id, Object.assign(trace, { sent, acked: performance.now() }));
      }
    }),
  );
}
await Promise.all(inflight);
writing = false;
await poller;

const done = [...traces.values()].filter((t) => t.acked !== undefined && t.visible !== undefined && t.invokeStart !== undefined);
const row = (label: string, values: number[]) => console.log(`${label.padEnd(44)} p50 ${percentile(values, 50).toFixed(1).padStart(7)}  p99 ${percentile(values, 99).toFixed(1).padStart(7)}  max ${Math.max(...values).toFixed(1).padStart(7)}`);
console.log(`rate ${rate}/s for ${seconds} s, batch size ${batchSize ?? 'default'}: statuses ${JSON.stringify(Object.fromEntries(statuses))}, traced ${done.length}/${traces.size}`);
row('request sent → 201 (API latency)', done.map((t) => t.acked! - t.sent));
row('record created (proxy) → 201', done.map((t) => t.acked! - t.created!));
row('record created → arrived in Kinesis', done.map((t) => t.arrived! - t.created!));
row('arrived → replicator invoked', done.map((t) => t.invokeStart! - t.arrived!));
row('invocation duration', done.map((t) => t.invokeEnd! - t.invokeStart!));
row('  of which the function ran (pool durationMs)', handlerMs);
row('201 → replicator invoked', done.map((t) => t.invokeStart! - t.acked!));
row('201 → invocation returned', done.map((t) => t.invokeEnd! - t.acked!));
row('201 → visible in replica (the bench\'s lag)', done.map((t) => t.visible! - t.acked!));
row('records per invocation', done.map((t) => t.batch!));
const { shards: _shards, ...esmStatus } = stack.replication.status();
console.log(JSON.stringify(esmStatus));
if (values.esm) await stack.replication.stop();
await stack.stop();
process.exit(0);
