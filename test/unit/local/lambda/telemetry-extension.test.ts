import { describe, expect, it } from 'vitest';
import { exportSpans } from '../../../../lambdas/shared/otlp';
import { resourceSpansOf, startTelemetryExtension } from '../../../../local/lambda/telemetry-extension';

/** What the worker hands to the runtime: each forwarded body, parsed. */
const received: Array<{ resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> }> = [];
const forward = async (body: string) => {
  received.push(JSON.parse(body));
};

const span = (name: string) => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name, kind: 1, startMs: 1, endMs: 2, attributes: {}, events: [], links: [], status: { code: 0 } });
const names = (batch: (typeof received)[number]) => batch.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));

describe('local telemetry extension (the ADOT collector layer stand-in)', () => {
  it('answers the function at once and forwards the spans of several invocations in one batch', async () => {
    // Prepare: a batch window no test run outlasts, so only flush() can send.
    const extension = await startTelemetryExtension(forward, 600_000);
    const before = received.length;
    // Act: two invocations' exports, as flushSpans sends them
    await exportSpans(extension.endpoint, [span('first')], { 'service.name': 'rule' });
    await exportSpans(extension.endpoint, [span('second')], { 'service.name': 'rule' });
    // Assess: the function got its answer with nothing sent upstream; then one request holds both
    expect(received.length).toBe(before);
    await extension.flush();
    expect(received.length).toBe(before + 1);
    expect(names(received.at(-1)!)).toEqual(['first', 'second']);
  });

  it('hands what it holds to the worker for the invocation\'s result, and then has nothing to forward', async () => {
    const extension = await startTelemetryExtension(forward, 600_000);
    const before = received.length;
    await exportSpans(extension.endpoint, [span('with the result')], { 'service.name': 'rule' });
    await exportSpans(extension.endpoint, [span('and this one')], { 'service.name': 'rule' });
    const body = extension.take();
    expect(names(JSON.parse(body!))).toEqual(['with the result', 'and this one']);
    expect(extension.take()).toBeUndefined();
    await extension.flush();
    expect(received.length).toBe(before);
  });

  it('forwards on its own after the batch window', async () => {
    const extension = await startTelemetryExtension(forward);
    await exportSpans(extension.endpoint, [span('later')], { 'service.name': 'rule' });
    await expect.poll(() => received.some((batch) => names(batch).includes('later')), { timeout: 10_000 }).toBe(true);
  });

  it('sends what it holds when the instance stops', async () => {
    const extension = await startTelemetryExtension(forward);
    const before = received.length;
    await exportSpans(extension.endpoint, [span('last words')], { 'service.name': 'replicator' });
    await extension.flush();
    expect(names(received.at(-1)!)).toEqual(['last words']);
    expect(received.length).toBe(before + 1);
  });

  it('cuts the exporter\'s bodies without parsing and parses any other OTLP JSON body alike', () => {
    const entry = { resource: { attributes: [] }, scopeSpans: [] };
    expect(resourceSpansOf(JSON.stringify({ resourceSpans: [entry] }))).toEqual([JSON.stringify(entry)]);
    expect(resourceSpansOf(JSON.stringify({ resourceSpans: [entry, entry] }, null, 1)).map((r) => JSON.parse(r))).toEqual([entry, entry]);
    expect(resourceSpansOf('{"resourceSpans":[]}')).toEqual([]);
    expect(() => resourceSpansOf('not json')).toThrow();
  });
});
