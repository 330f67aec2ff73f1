import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_CALLS,
  atRest,
  CHANGE_RECORD_BYTES,
  fitReplicatorTiming,
  ITEM_BYTES,
  loadStep,
  perMillionCalls,
  perMillionChanges,
  QUOTAS,
  type ApiCallModel,
  type LoadInput,
} from '../../../bench/cost-model';
import { changeRecord, itemSize } from '../../../local/dynamodb/streaming-record';
import { startCountingProxy, tally, type CountingProxy } from '../../../bench/lib/counting-proxy';
import { BENCH_PASSWORD, startBenchStack, type BenchStack } from '../../../bench/lib/stack';

// The cost model's DynamoDB operation counts, checked against what the running code issues per request.
let stack: BenchStack;
let proxy: CountingProxy;
let headers: Record<string, string> = {};
let todoId = '';

const userName = `cost-${Date.now()}`;

function model(route: string): Record<string, number> {
  const call = API_CALLS.find((c) => c.route === route) as ApiCallModel;
  const out: Record<string, number> = {};
  for (const op of call.dynamo) out[`${stack.tableName(op.table)} ${op.operation}`] = (out[`${stack.tableName(op.table)} ${op.operation}`] ?? 0) + op.count;
  return out;
}

async function counted(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ status: number; json: unknown; ops: Record<string, number> }> {
  proxy.take();
  const res = await fetch(new URL(path, stack.url), {
    method,
    headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', ...headers, ...extra },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
  if (cookie) headers = { cookie: cookie.split(';')[0] as string };
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined, ops: tally(proxy.take()) };
}

beforeAll(async () => {
  proxy = await startCountingProxy();
  // Every function's SDK goes through the counter; dynalite behind it (no capture needed to count).
  stack = await startBenchStack({ quick: true, env: { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint } });
  proxy.setUpstream(stack.dynamoEndpoint);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await proxy?.stop();
});

describe('DynamoDB operations per API call (bench/cost-model.ts)', () => {
  it('POST /api/register issues what the model says', async () => {
    // Act
    const { status, ops } = await counted('POST', '/api/register', { userName, password: BENCH_PASSWORD });
    // Assess
    expect(status).toBe(201);
    expect(ops).toEqual(model('POST /api/register'));
  });

  it('POST /api/login/account issues what the model says', async () => {
    const { status, ops } = await counted('POST', '/api/login/account', { userName, password: BENCH_PASSWORD, type: 'account' });
    expect(status).toBe(200);
    expect(ops).toEqual(model('POST /api/login/account'));
  });

  it('POST /api/todos issues what the model says', async () => {
    const { status, json, ops } = await counted('POST', '/api/todos', { title: 'counted' });
    expect(status).toBe(201);
    todoId = (json as { id: string }).id;
    expect(ops).toEqual(model('POST /api/todos'));
  });

  it('GET /api/todos issues what the model says', async () => {
    const { status, ops } = await counted('GET', '/api/todos');
    expect(status).toBe(200);
    expect(ops).toEqual(model('GET /api/todos'));
  });

  it('PATCH /api/todos/{id} issues what the model says', async () => {
    const { status, ops } = await counted('PATCH', `/api/todos/${todoId}`, { title: 'counted again' });
    expect(status).toBe(200);
    expect(ops).toEqual(model('PATCH /api/todos/{id}'));
  });

  it('GET /api/currentUser issues what the model says', async () => {
    const { status, ops } = await counted('GET', '/api/currentUser');
    expect(status).toBe(200);
    expect(ops).toEqual(model('GET /api/currentUser'));
  });

  it('DELETE /api/todos/{id} issues what the model says', async () => {
    const { status, ops } = await counted('DELETE', `/api/todos/${todoId}`);
    expect(status).toBe(204);
    expect(ops).toEqual(model('DELETE /api/todos/{id}'));
  });
});

describe('cost arithmetic', () => {
  it('adds up line items and scales with duration and memory', () => {
    // Prepare
    const call = API_CALLS[0] as ApiCallModel;
    // Act
    const short = perMillionCalls(call, 10, 512);
    const long = perMillionCalls(call, 100, 512);
    // Assess
    expect(short.usdPerMillion).toBeCloseTo(short.items.reduce((s, i) => s + i.usd, 0), 10);
    expect(long.usdPerMillion).toBeGreaterThan(short.usdPerMillion);
    expect(atRest().every((i) => Number.isFinite(i.usd))).toBe(true);
    expect(perMillionChanges(100, 50, 512).every((i) => i.usd >= 0)).toBe(true);
  });
});

describe('capacity at a sustained load (loadStep)', () => {
  const input = (writesPerSec: number, parallelizationFactor = 1): LoadInput => ({
    writesPerSec,
    readsPerWrite: 10,
    durationsMs: { 'GET /api/todos': 44, 'POST /api/todos': 18, 'PATCH /api/todos/{id}': 21 },
    postShare: 4 / 7,
    timing: { baseMs: 15, perRecordMs: 3.1 },
    batchSize: 100,
    parallelizationFactor,
    memoryMb: { rule: 512, replicator: 512 },
  });

  it('sizes change records as the streaming destination builds them (MODIFY carries both images)', () => {
    // Prepare: a typical todo, as the rule service writes it
    const at = '2026-12-01T10:00:00.000Z';
    const todo = { userId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', key: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c', name: 'Buy milk and bread on the way home', status: 1, progress: 0, order: 3, createdAt: at, updatedAt: at, version: 1 };
    const wire = (item: Record<string, string | number>) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, typeof v === 'number' ? { N: String(v) } : { S: v }]));
    const keys = wire({ userId: todo.userId, key: todo.key });
    const before = wire(todo);
    const after = wire({ ...todo, status: 2, version: 2 });
    const options = { region: 'us-east-1', nowMicros: 1_764_583_200_000_000 };
    const bytes = (change: Parameters<typeof changeRecord>[0]) => JSON.stringify(changeRecord(change, options)).length;
    // Act
    const sizes = {
      INSERT: bytes({ tableName: 'noops-todo-prod-rules', keys, newImage: before }),
      MODIFY: bytes({ tableName: 'noops-todo-prod-rules', keys, oldImage: before, newImage: after }),
      REMOVE: bytes({ tableName: 'noops-todo-prod-rules', keys, oldImage: after }),
    };
    // Assess
    expect(sizes).toEqual(CHANGE_RECORD_BYTES);
    expect(itemSize(before)).toBe(ITEM_BYTES.todo);
    expect(Math.ceil(CHANGE_RECORD_BYTES.MODIFY / 1024)).toBe(2);
  });

  it('fits replicator time per batch from bursts measured over several shards', () => {
    // Prepare: 2 shards, each batch taking 20 ms + 3 ms per record
    const rate = (n: number) => (2 * n * 1000) / (20 + 3 * n);
    // Act
    const timing = fitReplicatorTiming({ 10: [{ replicatedPerSec: rate(10) / 2 }, { replicatedPerSec: rate(10) }], 100: [{ replicatedPerSec: rate(100) }], 500: [{ replicatedPerSec: rate(500) }] }, 2);
    // Assess
    expect(timing.baseMs).toBeCloseTo(20, 6);
    expect(timing.perRecordMs).toBeCloseTo(3, 6);
  });

  it('sets shards by the on-demand floor, then by records; ESM concurrency is shards × factor', () => {
    const low = loadStep(input(100));
    const high = loadStep(input(10_000, 4));
    expect(low.stream.shards).toBe(QUOTAS.onDemandInitialShards);
    expect(high.stream).toMatchObject({ shards: 10, shardsBy: 'records' });
    expect(high.replicator.concurrency).toBe(40);
    expect(high.apiRps).toBe(110_000);
  });

  it('reports unbounded lag when the replicator cannot keep up, and the factor that fixes it', () => {
    const slow = loadStep(input(10_000, 1));
    const fixed = loadStep(input(10_000, 4));
    expect(slow.replicator.utilisation).toBeGreaterThan(1);
    expect(slow.replicator.lagMs).toBe(Number.POSITIVE_INFINITY);
    expect(fixed.replicator.utilisation).toBeLessThan(1);
    expect(Number.isFinite(fixed.replicator.lagMs)).toBe(true);
  });

  it('bills a month that grows with the load and counts each change once per service', () => {
    const [a, b] = [loadStep(input(100)), loadStep(input(1_000))];
    const total = (s: typeof a) => s.monthly.reduce((t, i) => t + i.usd, 0);
    expect(a.monthly.every((i) => Number.isFinite(i.usd) && i.usd >= 0)).toBe(true);
    expect(total(b)).toBeGreaterThan(5 * total(a));
    const cdc = a.monthly.find((i) => i.service === 'DynamoDB change data capture')!;
    expect(cdc.usd).toBeCloseTo(((100 * 730 * 3600) / 1e6) * 0.1, 6);
  });
});
