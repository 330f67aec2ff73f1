import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_CALLS, atRest, perMillionCalls, perMillionChanges, type ApiCallModel } from '../../bench/cost-model';
import { startCountingProxy, tally, type CountingProxy } from '../../bench/lib/counting-proxy';
import { BENCH_PASSWORD, startBenchStack, type BenchStack } from '../../bench/lib/stack';

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
