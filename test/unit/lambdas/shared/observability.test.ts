import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpHandler, json } from '../../../../lambdas/shared/http';
import { instrument } from '../../../../lambdas/shared/instrument';
import { createLogger } from '../../../../lambdas/shared/logger';
import { countMetric, createMetrics, replicationOutcome } from '../../../../lambdas/shared/metrics';
import { traceClient } from '../../../../lambdas/shared/tracer';

function context(awsRequestId: string): Context {
  return {
    awsRequestId,
    functionName: 'rule',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:rule',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/rule',
    logStreamName: 's',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 1000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Powertools writes through its own Console on process.stdout: capture the JSON lines. */
function captureStdout() {
  const lines: Array<Record<string, unknown>> = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('instrument', () => {
  it('adds the Lambda context to log lines and publishes the metrics as one EMF record', async () => {
    // Prepare: Lambda sets the initialization type; Powertools reports cold starts only for on-demand.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const tools = { logger: createLogger('rule'), metrics: createMetrics('rule') };
    const out = captureStdout();
    const handler = instrument(tools, async () => {
      tools.logger.info('todo created', { key: 'k1' });
      countMetric(tools.metrics, 'TodosCreated');
      return 'ok';
    });
    // Act
    const result = await handler({}, context('inv-1'));
    out.restore();
    // Assess
    expect(result).toBe('ok');
    const log = out.lines.find((l) => l.message === 'todo created');
    expect(log).toMatchObject({ level: 'INFO', service: 'rule', function_name: 'rule', function_request_id: 'inv-1', cold_start: true, key: 'k1' });
    const emf = out.lines.find((l) => '_aws' in l) as { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string; Unit: string }> }> }; TodosCreated: number };
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'noops-todo', Metrics: [{ Name: 'TodosCreated', Unit: 'Count' }] });
    expect(emf.TodosCreated).toBe(1);
  });

  it('gives every line the OTel (W3C) trace id of its span and no X-Ray id, though Lambda sets _X_AMZN_TRACE_ID', async () => {
    // Prepare: what Lambda sets on every invocation, PassThrough tracing included.
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=0');
    const logger = createLogger('rule');
    const out = captureStdout();
    const handler = instrument({ logger }, async () => {
      logger.info('inside');
      return 'ok';
    });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    // Act
    await handler({ routeKey: 'POST /api/todos', rawPath: '/api/todos', headers: { traceparent }, requestContext: { requestId: 'r1', http: { method: 'POST' } } }, context('inv-3'));
    logger.info('outside');
    out.restore();
    // Assess
    const inside = out.lines.find((l) => l.message === 'inside')!;
    expect(inside.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(inside.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(inside.spanId).not.toBe('b7ad6b7169203331');
    expect(out.lines.every((l) => !('xray_trace_id' in l))).toBe(true);
    expect(out.lines.find((l) => l.message === 'outside')).not.toHaveProperty('traceId');
  });

  it('writes no EMF record for an invocation that counted nothing, and rethrows errors', async () => {
    const tools = { logger: createLogger('user'), metrics: createMetrics('user') };
    const out = captureStdout();
    const failing = instrument(tools, async () => {
      throw new TypeError('boom');
    });
    await expect(failing({}, context('inv-2'))).rejects.toThrow('boom');
    await instrument(tools, async () => 'quiet')({}, context('inv-3'));
    out.restore();
    expect(out.lines.filter((l) => '_aws' in l)).toEqual([]);
    // Powertools warns about an empty metrics flush; instrument must not trigger it.
    expect(out.lines.filter((l) => String(l.message).includes('No application metrics'))).toEqual([]);
  });
});

describe('instrument around httpHandler', () => {
  it('reports the first invocation as a cold start and the next as warm, with the API request id', async () => {
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const logger = createLogger('rule');
    const handler = instrument({ logger }, httpHandler(logger, { 'GET /x': async () => json(200, {}) }));
    const event = (id: string) => ({ routeKey: 'GET /x', rawPath: '/x', requestContext: { requestId: id, http: { method: 'GET' } } }) as never;
    const out = captureStdout();
    const first = await handler(event('api-1'), context('inv-1'));
    await handler(event('api-2'), context('inv-2'));
    out.restore();
    const handled = out.lines.filter((l) => l.message === 'request handled');
    expect(handled.map((l) => [l.requestId, l.function_request_id, l.cold_start])).toEqual([
      ['api-1', 'inv-1', true],
      ['api-2', 'inv-2', false],
    ]);
    expect(first.headers?.['x-request-id']).toBe('api-1');
  });
});

describe('metrics helpers', () => {
  it('counts replication outcomes and records lag for applied changes only', () => {
    const metrics = createMetrics('replicator');
    replicationOutcome(metrics, 'applied', 120);
    replicationOutcome(metrics, 'tombstoned', 80);
    replicationOutcome(metrics, 'skipped', 50);
    replicationOutcome(metrics, 'failed');
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown>;
    // EMF keeps each value of a metric added twice; CloudWatch sums them.
    expect(emf).toMatchObject({ ReplicationApplied: [1, 1], ReplicationSkipped: 1, ReplicationFailed: 1, ReplicationLagMs: [120, 80] });
    metrics.clearMetrics();
  });
});

describe('tracer', () => {
  it('adds one span middleware and leaves clients usable', () => {
    const client = { middlewareStack: { use: vi.fn(), add: vi.fn() }, send: vi.fn() };
    expect(traceClient(client as never)).toBe(client);
    expect(client.middlewareStack.add).toHaveBeenCalledWith(expect.any(Function), expect.objectContaining({ step: 'build' }));
  });
});
