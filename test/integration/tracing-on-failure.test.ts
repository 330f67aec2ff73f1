import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/index';

/** A change the event source mapping gives up on says so on the trace of the request that made it. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    memory: true, port: 0, quiet: true, env: { SCRYPT_N: '1024' },
    // Every replicator invocation fails (after running), and is not retried: straight to on-failure.
    replicationFaults: { failRate: 1 },
    changeConsumer: { maximumRetryAttempts: 0, bisectBatchOnFunctionError: false },
  });
});
afterAll(async () => stack?.stop());

describe('the on-failure destination on a trace', () => {
  it('a registration whose change reached the on-failure destination has an error span saying so in its trace', async () => {
    // Act
    const res = await fetch(`${stack.url}/api/register`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: stack.url },
      body: JSON.stringify({ userName: `fail-${Date.now().toString(36)}`, password: 'correct-horse-battery-staple-7731' }),
    });
    const requestId = res.headers.get('x-request-id')!;
    let spans = stack.traces.find(requestId);
    for (let i = 0; i < 100 && !spans.some((s) => s.service === 'lambda-event-source-mapping'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      spans = stack.traces.find(requestId);
    }
    // Assess
    expect(res.status).toBe(201);
    const [user] = spans.filter((s) => s.service === 'user' && s.name === 'POST /api/register');
    const discarded = spans.find((s) => s.service === 'lambda-event-source-mapping')!;
    expect(discarded).toBeDefined();
    expect(discarded.name).toBe('send to on-failure destination');
    expect(discarded.parentSpanId).toBe(user!.spanId);
    expect(discarded.status).toEqual({ code: 'error', message: expect.stringMatching(/^sent to the on-failure destination \(RetryAttemptsExhausted\)$/) });
    expect(stack.replication.failures().length).toBeGreaterThan(0);
  });
});
