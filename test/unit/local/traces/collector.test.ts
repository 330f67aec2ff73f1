import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { otlpBody } from '../../../../lambdas/shared/otlp';
import { startTraceCollector, type TraceCollector } from '../../../../local/traces/collector';
import { TraceStore } from '../../../../local/traces/store';

const span = (name: string, traceId: string) => ({ traceId, spanId: 'b'.repeat(16), name, kind: 1, startMs: 1, endMs: 2, attributes: { 'aws.request_id': `req-${name}` }, events: [], links: [], status: { code: 0 } });

let store: TraceStore;
let collector: TraceCollector;
/** Another OTLP endpoint on the laptop (a Jaeger, say): keeps each body it is sent. */
let other: http.Server;
let otherUrl: string;
const otherBodies: string[] = [];
beforeAll(async () => {
  store = await TraceStore.open(undefined);
  collector = await startTraceCollector(store);
  other = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      otherBodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/v1/traces`;
});
afterAll(async () => {
  await collector.stop();
  await new Promise<void>((resolve) => other.close(() => resolve()));
});

describe('trace collector: spans an instance forwarded over IPC', () => {
  it('stores a body meant for itself at once, without an HTTP request', () => {
    const traceId = '1'.repeat(32);
    collector.receive(collector.endpoint, otlpBody([span('direct', traceId) as never], { 'service.name': 'rule' }));
    expect(store.trace(traceId).map((s) => [s.service, s.name])).toEqual([['rule', 'direct']]);
  });

  it('posts a body meant for another OTLP endpoint on to it, and stores nothing', async () => {
    const traceId = '2'.repeat(32);
    const body = otlpBody([span('elsewhere', traceId) as never], { 'service.name': 'rule' });
    collector.receive(otherUrl, body);
    await expect.poll(() => otherBodies, { timeout: 5_000 }).toContain(body);
    expect(store.trace(traceId)).toEqual([]);
  });

  it('drops a malformed body or an unreachable endpoint with one warning each, never a throw', async () => {
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => collector.receive(collector.endpoint, 'not json')).not.toThrow();
      expect(() => collector.receive(collector.endpoint, 'still not json')).not.toThrow();
      collector.receive('http://127.0.0.1:1/v1/traces', '{"resourceSpans":[]}');
      await expect.poll(() => warn.mock.calls.filter(([line]) => String(line).includes('spans dropped')).length, { timeout: 5_000 }).toBe(2);
    } finally {
      warn.mockRestore();
    }
  });
});
