import { describe, expect, it } from 'vitest';
import { TraceStore, type StoredSpan } from '../../../../local/traces/store';
import { answerTraceApi, TRACE_API_PATH, type RecentChange, type TraceView } from '../../../../local/traces/trace-api';
import { TRACE_API_URL, type RecentChange as WebRecentChange, type TraceView as WebTraceView } from '../../../../web/src/api';

// The browser app is bundled on its own and imports only web/, so it keeps its own copy of this wire
// contract; `tsc` checks here that the two copies agree, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const contract: [Same<RecentChange, WebRecentChange>, Same<TraceView, WebTraceView>] = [true, true];

const T = 'a'.repeat(32);
const span = (over: Partial<StoredSpan>): StoredSpan => ({
  traceId: T, spanId: '1'.repeat(16), name: 'x', kind: 'internal', service: 's', startMs: 1_000, endMs: 1_001,
  attributes: {}, events: [], links: [], status: { code: 'unset' }, ...over,
});

async function storeWithOneChange(): Promise<TraceStore> {
  const store = await TraceStore.open(undefined);
  store.add([
    span({ spanId: '1'.repeat(16), name: 'POST /api/todos', service: 'gateway', kind: 'server', startMs: 1_000, endMs: 1_020, attributes: { 'aws.request_id': 'req-1=' } }),
    span({ spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), name: 'publish changes', kind: 'producer', startMs: 1_005, endMs: 1_010 }),
    // The same record delivered twice: one change in the list.
    ...['3', '4'].map((d, i) => span({ spanId: d.repeat(16), parentSpanId: '1'.repeat(16), name: 'process changes', service: 'replicator', kind: 'consumer', startMs: 1_050 + i, endMs: 1_060 + i, attributes: { 'messaging.operation': 'process', 'db.operation': 'INSERT', 'aws.dynamodb.table_names': ['rules'] } })),
  ]);
  return store;
}

describe('local trace API (the web app\'s trace view)', () => {
  it('serves the path and the shapes the web app asks for', () => {
    expect(contract).toEqual([true, true]);
    expect(TRACE_API_URL).toBe(TRACE_API_PATH);
  });

  it('lists each recent change once, with the request that made it', async () => {
    const answer = answerTraceApi(await storeWithOneChange(), 'GET', TRACE_API_PATH);
    expect(answer).toEqual({ statusCode: 200, body: { changes: [{ traceId: T, at: new Date(1_051).toISOString(), table: 'rules', operation: 'INSERT', request: 'POST /api/todos', requestId: 'req-1=' }] } });
  });

  it('answers a trace as waterfall rows, found by trace id or request id, with the lag as a row of its own', async () => {
    const store = await storeWithOneChange();
    const byTrace = answerTraceApi(store, 'GET', `${TRACE_API_PATH}/${T}`)!;
    expect(answerTraceApi(store, 'GET', `${TRACE_API_PATH}/req-1%3D`)).toEqual(byTrace);
    const body = byTrace.body as { rows: Array<{ operation: string; lag?: boolean; offsetMs: number; durationMs: number }>; totalMs: number };
    // One lag row per delivery of the record: publication end (10 ms) to each processing start.
    expect(body.rows.filter((r) => r.lag)).toEqual([expect.objectContaining({ operation: 'replication lag', offsetMs: 10, durationMs: 40 }), expect.objectContaining({ offsetMs: 10, durationMs: 41 })]);
    expect(body.totalMs).toBe(61);
  });

  it('refuses other methods and malformed ids, 404s unknown traces, and leaves other paths to the routes', async () => {
    const store = await storeWithOneChange();
    expect(answerTraceApi(store, 'POST', TRACE_API_PATH)?.statusCode).toBe(405);
    expect(answerTraceApi(store, 'GET', `${TRACE_API_PATH}/..%2Fetc`)?.statusCode).toBe(400);
    expect(answerTraceApi(store, 'GET', `${TRACE_API_PATH}/${'b'.repeat(32)}`)).toEqual({ statusCode: 404, body: { error: { code: 'NotFound', message: `no trace for ${'b'.repeat(32)}` } } });
    expect(answerTraceApi(store, 'GET', '/api/local/tracesX')).toBeUndefined();
    expect(answerTraceApi(store, 'GET', '/api/todos')).toBeUndefined();
  });
});
