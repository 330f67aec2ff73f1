import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../lambdas/shared/logger';
import { exportSpans, type FinishedSpan } from '../../../../lambdas/shared/otlp';
import { configureTracing, flushSpans, formatTraceparent, inSpan, parseTraceparent, SpanKind, traced } from '../../../../lambdas/shared/tracing';
import { processChanges } from '../../../../lambdas/replicator/process-changes';
import { fromOtlp } from '../../../../local/traces/collector';
import type { StoredSpan } from '../../../../local/traces/store';

/** A local OTLP/HTTP endpoint that keeps what it is sent. */
let server: http.Server;
let endpoint: string;
const requests: Array<{ headers: http.IncomingHttpHeaders; body: any; path: string }> = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  // What instrument() does at a function's init, with the settings its configuration read.
  configureTracing({ endpoint, sampleRatio: 1, resource: { 'service.name': 'test' } });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const span = (overrides: Partial<FinishedSpan> = {}): FinishedSpan => ({
  traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'POST /api/todos', kind: SpanKind.SERVER,
  startMs: 1_700_000_000_000.5, endMs: 1_700_000_000_012.25, attributes: { 'faas.trigger': 'http', 'http.response.status_code': 201, 'faas.coldstart': true },
  events: [], links: [], status: { code: 0 }, ...overrides,
});

async function spansFrom(fn: () => Promise<unknown>): Promise<StoredSpan[]> {
  const before = requests.length;
  await fn().catch(() => undefined);
  await flushSpans();
  return requests.slice(before).flatMap((r) => fromOtlp(r.body));
}

describe('OTLP/HTTP exporter', () => {
  it('posts OTLP JSON: hex ids, nanosecond strings, OTLP span kinds, typed attribute values', async () => {
    // Act
    await exportSpans(endpoint, [span({ parentSpanId: '00f067aa0ba902b7', status: { code: 2, message: 'ValidationError' } })], { 'service.name': 'rule' });
    // Assess
    const { headers, body, path } = requests.at(-1)!;
    expect(path).toBe('/v1/traces');
    expect(headers['content-type']).toBe('application/json');
    expect(headers.authorization).toBeUndefined();
    const sent = body.resourceSpans[0].scopeSpans[0].spans[0];
    expect(body.resourceSpans[0].resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'rule' } }]);
    expect(sent).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', parentSpanId: '00f067aa0ba902b7', kind: 2,
      startTimeUnixNano: '1700000000000500000', endTimeUnixNano: '1700000000012250000', status: { code: 2, message: 'ValidationError' },
    });
    expect(sent.attributes).toEqual([
      { key: 'faas.trigger', value: { stringValue: 'http' } },
      { key: 'http.response.status_code', value: { intValue: '201' } },
      { key: 'faas.coldstart', value: { boolValue: true } },
    ]);
  });

  it('signs for X-Ray with SigV4 (service xray) and the role credentials from the environment', async () => {
    // Prepare
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session-token' });
    // Act
    await exportSpans(endpoint, [span()], { 'service.name': 'rule' }, { sigv4Region: 'eu-west-1' });
    // Assess
    const { headers } = requests.at(-1)!;
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/xray\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/);
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(headers['x-amz-content-sha256'] ?? headers['x-amz-date']).toBeTruthy();
  });

  it('exports to the endpoint configured at init: the environment is not read again at a flush', async () => {
    // Prepare: a variable changed after init (nothing may move the export then).
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = 'http://127.0.0.1:1/v1/traces';
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (line: string) => warnings.push(line);
    try {
      // Act
      const spans = await spansFrom(() => inSpan('configured once', {}, async () => undefined));
      // Assess
      expect(spans.map((s) => [s.name, s.service])).toEqual([['configured once', 'test']]);
      expect(warnings).toEqual([]);
    } finally {
      console.warn = warn;
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    }
  });

  it('fails loudly on an endpoint that refuses, so flushSpans can drop and log', async () => {
    await expect(exportSpans('http://127.0.0.1:1/v1/traces', [span()], {})).rejects.toThrow();
  });
});

describe('trace context', () => {
  it('round-trips a W3C traceparent and refuses malformed or all-zero ones', () => {
    const ctx = parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(ctx).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
    expect(formatTraceparent(ctx!)).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
  });

  it('an item written inside a span carries that span as _trace; outside any span it is unchanged', async () => {
    const item = { userId: 'u', key: 'k' };
    expect(traced(item)).toBe(item);
    const inside = await inSpan('write', {}, async (s) => ({ written: traced(item), ctx: s.spanContext() }));
    expect((inside.written as Record<string, unknown>)._trace).toBe(formatTraceparent(inside.ctx));
  });
});

describe('replicator spans', () => {
  const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const route = { replica: 'rules-replica-for-user', source: 'rules', attributes: { status: 'N' } } as never;
  const deps = (store: { putIfNewer: () => Promise<undefined> }) => ({ feeds: [route], store, state: { record: async () => undefined }, logger: createLogger('replicator'), streamName: 'changes' }) as never;
  const kinesisRecord = (data: unknown, seq = '1'): KinesisStreamEvent['Records'][number] => ({
    eventID: `shardId-000000000000:${seq}`, eventName: 'aws:kinesis:record', eventSource: 'aws:kinesis', eventVersion: '1.0', awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/changes', invokeIdentityArn: 'arn:aws:iam::000000000000:role/r',
    kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'p', sequenceNumber: seq, approximateArrivalTimestamp: 1, data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64') },
  });
  const change = (eventName: 'INSERT' | 'REMOVE') => ({
    eventID: 'e', eventName, tableName: 'rules', recordFormat: 'application/json', eventSource: 'aws:dynamodb', awsRegion: 'us-east-1', userIdentity: null,
    dynamodb: { ApproximateCreationDateTime: Date.now(), Keys: { userId: { S: 'u' }, key: { S: 'k' } }, SizeBytes: 1,
      [eventName === 'REMOVE' ? 'OldImage' : 'NewImage']: { userId: { S: 'u' }, key: { S: 'k' }, version: { N: '1' }, status: { N: '1' }, _trace: { S: parent } } },
  });

  it('a record continues the writer trace from the image; a failing write makes it an error span with the exception', async () => {
    // Prepare
    const failing = { putIfNewer: async () => { throw new Error('replica table is gone'); } };
    // Act
    const spans = await spansFrom(() => inSpan('replicator', { kind: SpanKind.CONSUMER }, () => processChanges({ Records: [kinesisRecord(change('INSERT'))] }, deps(failing as never))));
    // Assess
    const record = spans.find((s) => s.name === 'process changes')!;
    expect(record.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(record.parentSpanId).toBe('b7ad6b7169203331');
    expect(record.status).toEqual({ code: 'error', message: 'replica table is gone' });
    expect(record.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.type': 'Error', 'exception.message': 'replica table is gone' } });
    const invocation = spans.find((s) => s.name === 'replicator')!;
    expect(invocation.links.map((l) => l.traceId)).toContain('0af7651916cd43dd8448eb211c80319c');
  });

  it('a poison record is an error span under the invocation; a delete links the last write instead of continuing it', async () => {
    // Prepare
    const store = { putIfNewer: async () => undefined };
    // Act
    const spans = await spansFrom(() => inSpan('replicator', { kind: SpanKind.CONSUMER }, () => processChanges({ Records: [kinesisRecord('not json', '1'), kinesisRecord(change('REMOVE'), '2')] }, deps(store as never))));
    // Assess
    const invocation = spans.find((s) => s.name === 'replicator')!;
    const [poison, removal] = spans.filter((s) => s.name === 'process changes').sort((a, b) => Number(a.attributes['messaging.message.id']) - Number(b.attributes['messaging.message.id']));
    expect(poison!.parentSpanId).toBe(invocation.spanId);
    expect(poison!.status).toMatchObject({ code: 'error', message: 'kinesis data is not base64-encoded JSON' });
    expect(removal!.traceId).toBe(invocation.traceId);
    expect(removal!.links).toContainEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: { 'link.kind': 'last-write' } });
    expect(removal!.status.code).toBe('unset');
  });
});
