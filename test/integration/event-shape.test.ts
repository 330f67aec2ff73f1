import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';

/**
 * The local gateway's events against a real captured HTTP API event: same fields, same formats, so a
 * handler cannot tell them apart (the local edge's two headers aside, which CloudFront adds on AWS).
 */
const probe = path.join(import.meta.dirname, 'fixtures/probe-function.mjs');
const REQUEST_ID = /^[A-Za-z0-9_-]{15}=$/;
const TRACE_ID = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const TIME = /^\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;
// What the local gateway adds as the edge would (CloudFront's origin header and viewer address), and the
// W3C `traceparent` of its request span: API Gateway passes a caller's traceparent header through as any
// other header, so a handler sees the same thing on AWS when the caller (or an upstream tracer) sends one.
const EDGE_HEADERS = ['x-origin-verify', 'cloudfront-viewer-address', 'traceparent'];

type Event = Record<string, any>;
let stack: LocalStack;
let captured: Event;

beforeAll(async () => {
  stack = await startLocalStack({ functions: { rule: { bundle: probe } } });
  const { '//': _note, ...event } = JSON.parse(await readFile(path.join(import.meta.dirname, 'fixtures/apigw-v2-captured.json'), 'utf8')) as Event;
  captured = event;
});
afterAll(() => stack?.stop());

/** Sent with node:http, which adds only Host (and Connection, which API Gateway drops), as curl would. */
function localEvent(init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Event> {
  const url = new URL('/api/todos', stack.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: init.method ?? 'GET', agent: false, headers: { accept: '*/*', 'user-agent': 'curl/8.5.0', ...init.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event: Event }).event));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const keys = (o: object) => Object.keys(o).sort();

describe('local events look like captured API Gateway events', () => {
  it('has the captured field set, top to bottom', async () => {
    // Act
    const event = await localEvent();
    // Assess
    expect(keys(event)).toEqual(keys(captured));
    expect(keys(event.requestContext)).toEqual(keys(captured.requestContext));
    expect(keys(event.requestContext.http)).toEqual(keys(captured.requestContext.http));
    const headers = keys(event.headers).filter((h) => !EDGE_HEADERS.includes(h));
    expect(headers).toEqual(keys(captured.headers));
  });

  it('formats requestId, time, timeEpoch and the trace header as AWS does', async () => {
    // Prepare: the formats hold for the capture itself
    expect(captured.requestContext.requestId).toMatch(REQUEST_ID);
    expect(captured.headers['x-amzn-trace-id']).toMatch(TRACE_ID);
    expect(captured.requestContext.time).toMatch(TIME);
    // Act: enough requests that a short id would show up (the old generator made one in ~11)
    const events = await Promise.all(Array.from({ length: 60 }, () => localEvent()));
    // Assess
    for (const event of events) {
      const { requestId, time, timeEpoch } = event.requestContext;
      expect(requestId).toMatch(REQUEST_ID);
      expect(time).toMatch(TIME);
      expect(Number.isInteger(timeEpoch)).toBe(true);
      expect(String(timeEpoch)).toHaveLength(String(captured.requestContext.timeEpoch).length);
      // `time` is `timeEpoch` to the second.
      const [day, month, rest] = time.split('/');
      expect(Date.parse(`${month} ${day} ${rest.replace(':', ' ')}`)).toBe(Math.floor(timeEpoch / 1000) * 1000);
      expect(event.headers['x-amzn-trace-id']).toMatch(TRACE_ID);
    }
    expect(new Set(events.map((e) => e.requestContext.requestId)).size).toBe(events.length);
  });

  it('sends content-length as API Gateway does: 0 without a body, the length with one', async () => {
    expect((await localEvent()).headers['content-length']).toBe(captured.headers['content-length']);
    const post = await localEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"milk"}' });
    expect(post.headers['content-length']).toBe('16');
  });
});
