import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSpan } from '../../local/traces/store';
import { runTrace } from '../../scripts/trace/run';
import { waterfallRows } from '../../scripts/trace/waterfall';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';

/**
 * One trace per request across the asynchronous replication hop: the local gateway, the rule function,
 * its DynamoDB calls, the streaming destination's publication and the replicator's record, all through
 * the real bundles, OTLP exporter and collector.
 */
const PASSWORD = 'correct-horse-battery-staple-7731';
const USER = `trace-${Date.now().toString(36)}`;

let stack: LocalStack;
let cookie: string;
let createRequestId: string;

async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}${route}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), origin: stack.url, ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { res, requestId: res.headers.get('x-request-id') ?? '', body: await res.text() };
}

/** Spans arrive after the response (the replicator's later still): poll, bounded. */
async function traceOf(requestId: string, done: (spans: StoredSpan[]) => boolean): Promise<StoredSpan[]> {
  let spans = stack.traces.find(requestId);
  for (let i = 0; i < 100 && !done(spans); i++) {
    await new Promise((r) => setTimeout(r, 50));
    spans = stack.traces.find(requestId);
  }
  return spans;
}

const byName = (spans: StoredSpan[], service: string, name: string | RegExp) =>
  spans.filter((s) => s.service === service && (typeof name === 'string' ? s.name === name : name.test(s.name)));
const within = (child: StoredSpan, parent: StoredSpan) => child.startMs >= parent.startMs && child.endMs <= parent.endMs;

beforeAll(async () => {
  stack = await startLocalStack({ env: { SCRYPT_N: '1024' } });
  expect((await call('POST', '/api/register', { userName: USER, password: PASSWORD })).res.status).toBe(201);
  const login = await call('POST', '/api/login/account', { userName: USER, password: PASSWORD, type: 'account' });
  cookie = (login.res.headers.get('set-cookie') ?? '').split(';')[0]!;
});
afterAll(async () => stack?.stop());

describe('tracing across the replication hop', () => {
  it('POST /api/todos gives one trace: gateway → rule → PutItem → publication, and → replicator record → replica writes', async () => {
    // Act
    const created = await call('POST', '/api/todos', { title: 'trace me' }, { cookie });
    expect(created.res.status).toBe(201);
    createRequestId = created.requestId;
    const spans = await traceOf(created.requestId, (s) => byName(s, 'replicator', /^process /).length > 0);
    // Assess
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const [gateway] = byName(spans, 'gateway', 'POST /api/todos');
    const [rule] = byName(spans, 'rule', 'POST /api/todos');
    const [put] = byName(spans, 'rule', 'DynamoDB.PutItem');
    const [publish] = byName(spans, 'dynamodb-streaming-destination', /^publish /);
    const [record] = byName(spans, 'replicator', /^process /);
    const replicaWrites = byName(spans, 'replicator', 'DynamoDB.PutItem');
    expect([gateway, rule, put, publish, record].every(Boolean)).toBe(true);
    expect(replicaWrites.length).toBeGreaterThan(0);
    expect(gateway!.parentSpanId).toBeUndefined();
    expect(gateway!.kind).toBe('server');
    expect(rule!.parentSpanId).toBe(gateway!.spanId);
    expect(rule!.attributes).toMatchObject({ 'faas.trigger': 'http', 'http.response.status_code': 201, 'aws.request_id': created.requestId, 'faas.invocation_id': expect.any(String) });
    expect(put!.parentSpanId).toBe(rule!.spanId);
    expect(put!.kind).toBe('client');
    expect(put!.attributes).toMatchObject({ 'rpc.system': 'aws-api', 'db.system': 'dynamodb', 'aws.dynamodb.table_names': ['rules'] });
    expect(publish!.parentSpanId).toBe(put!.spanId);
    expect(publish!.kind).toBe('producer');
    expect(publish!.attributes).toMatchObject({ 'messaging.system': 'aws_kinesis', 'messaging.operation': 'publish', 'messaging.destination.name': expect.any(String) });
    // The replicator continues the trace from the item's `_trace` (the rule invocation's context)
    expect(record!.parentSpanId).toBe(rule!.spanId);
    expect(record!.kind).toBe('consumer');
    expect(record!.attributes).toMatchObject({ 'messaging.system': 'aws_kinesis', 'messaging.operation': 'process', 'aws.dynamodb.table_names': ['rules'] });
    expect(record!.links.some((l) => l.attributes['link.kind'] === 'invocation')).toBe(true);
    for (const write of replicaWrites) expect(write.parentSpanId).toBe(record!.spanId);
    // Durations add up: each synchronous child lies within its parent; the record starts after the write
    expect(within(rule!, gateway!)).toBe(true);
    expect(within(put!, rule!)).toBe(true);
    expect(within(publish!, put!)).toBe(true);
    for (const write of replicaWrites) expect(within(write, record!)).toBe(true);
    expect(record!.startMs).toBeGreaterThanOrEqual(publish!.endMs);
    expect(spans.every((s) => s.status.code !== 'error')).toBe(true);
  });

  it('the replica never holds the trace attribute', async () => {
    // Act
    const created = await call('POST', '/api/todos', { title: 'no trace in replicas' }, { cookie });
    await traceOf(created.requestId, (s) => byName(s, 'replicator', /^process /).length > 0);
    // Assess: the user service's count reads its replica of the rules table
    const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const replica = await client.send(new ScanCommand({ TableName: stack.tableName('rules-replica-for-user') }));
    const owned = await client.send(new ScanCommand({ TableName: stack.tableName('rules') }));
    client.destroy();
    expect(owned.Items!.every((item) => typeof item._trace?.S === 'string')).toBe(true);
    expect(replica.Items!.length).toBeGreaterThan(0);
    expect(replica.Items!.some((item) => '_trace' in item)).toBe(false);
  });

  it('a rejected request (400) is an error trace with the error code', async () => {
    // Act
    const rejected = await call('POST', '/api/todos', { title: 42 }, { cookie });
    const spans = await traceOf(rejected.requestId, (s) => byName(s, 'rule', 'POST /api/todos').length > 0);
    // Assess
    expect(rejected.res.status).toBe(400);
    const [rule] = byName(spans, 'rule', 'POST /api/todos');
    const [gateway] = byName(spans, 'gateway', 'POST /api/todos');
    expect(rule!.status).toEqual({ code: 'error', message: 'ValidationError' });
    expect(rule!.attributes['http.response.status_code']).toBe(400);
    expect(gateway!.status.code).toBe('error');
    expect(byName(spans, 'rule', 'DynamoDB.PutItem')).toEqual([]);
  });

  it('npm run trace prints the waterfall by request id: services, operations, offsets, durations, status and the replication lag', async () => {
    // Prepare
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: {} };
    // Act
    const code = await runTrace([createRequestId, '--no-color'], io);
    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^trace [0-9a-f]{32} /);
    expect(lines[1]).toMatch(/SERVICE\s+OPERATION\s+OFFSET\s+DURATION\s+STATUS/);
    const order = ['gateway', 'rule', 'DynamoDB.PutItem', 'publish ', 'replication lag', 'process ', 'DynamoDB.PutItem'];
    let at = 0;
    for (const needle of order) {
      const found = lines.findIndex((line, i) => i >= at && line.includes(needle));
      expect(found, needle).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
    expect(lines.find((l) => l.includes('replication lag'))).toMatch(/\d+\.\d ms\s+\d+\.\d ms/);
    // The lag row spans exactly from the publication's end to the record's start
    const spans = stack.traces.find(createRequestId);
    const rows = waterfallRows(spans);
    const lag = rows.find((r) => r.lag)!;
    const record = rows.find((r) => r.operation.startsWith('process '))!;
    expect(lag.offsetMs + lag.durationMs).toBeCloseTo(record.offsetMs, 6);
  });

  it('npm run trace says so when nothing matches', async () => {
    let stderr = '';
    const code = await runTrace(['no-such-request', '--no-color'], { stdout: { write: () => 0 }, stderr: { write: (t: string) => (stderr += t) }, env: {} });
    expect(code).toBe(1);
    expect(stderr).toContain('no trace found for "no-such-request"');
  });
});
