import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';

const probe = path.join(import.meta.dirname, 'fixtures/probe-function.mjs');

interface ProbeAnswer {
  event: Record<string, any>;
  context: { awsRequestId: string; functionName: string; memoryLimitInMB: string; remainingMs: number; logStreamName: string };
  env: Record<string, string>;
}

describe('gateway (payload format 2.0)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      functions: { rule: { bundle: probe }, static: { bundle: probe } },
      corsAllowedOrigins: ['https://app.example'],
    });
  });
  afterAll(() => stack?.stop());

  it('gives the function the exact event for a matched route, and returns its request id', async () => {
    // Act
    const res = await fetch(`${stack.url}/api/todos/7?tag=a&tag=b&q=x+y`, {
      headers: { cookie: 'session=abc; theme=dark', 'X-Custom': 'Yes', 'user-agent': 'probe-test' },
    });
    const { event, context } = (await res.json()) as ProbeAnswer;
    // Assess
    expect(res.status).toBe(200);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /api/todos/{id}',
      rawPath: '/api/todos/7',
      rawQueryString: 'tag=a&tag=b&q=x+y',
      cookies: ['session=abc', 'theme=dark'],
      queryStringParameters: { tag: 'a,b', q: 'x y' },
      pathParameters: { id: '7' },
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'GET', path: '/api/todos/7', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'probe-test' },
        routeKey: 'GET /api/todos/{id}',
        stage: '$default',
        domainName: `127.0.0.1:${stack.port}`,
      },
    });
    expect(event.headers).toMatchObject({ 'x-custom': 'Yes', 'x-forwarded-proto': 'http', 'x-forwarded-port': String(stack.port) });
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(30_000);
    expect(res.headers.get('x-request-id')).toBe(event.requestContext.requestId);
    expect(res.headers.get('apigw-requestid')).toBe(event.requestContext.requestId);
    expect(context).toMatchObject({ functionName: 'rule', memoryLimitInMB: '512' });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.remainingMs).toBeGreaterThan(0);
  });

  it('runs the function with its Lambda environment', async () => {
    const { env, context } = (await (await fetch(`${stack.url}/api/todos`)).json()) as ProbeAnswer;
    expect(env).toMatchObject({ AWS_LAMBDA_FUNCTION_NAME: 'rule', RULES_TABLE: 'rules', USERS_REPLICA_TABLE: 'users-replica-for-rule', COOKIE_SECURE: 'false', PUBLIC_BASE_URL: stack.url, TZ: 'UTC' });
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toBe(context.logStreamName);
    expect(env).not.toHaveProperty('SESSION_SIGNING_KEY_SECRET');
  });

  it('routes unknown paths to $default', async () => {
    const { event } = (await (await fetch(`${stack.url}/some/page`)).json()) as ProbeAnswer;
    expect(event.routeKey).toBe('$default');
    expect(event).not.toHaveProperty('pathParameters');
  });

  it('base64-encodes binary request bodies and passes JSON as text', async () => {
    const binary = (await (await fetch(`${stack.url}/api/todos`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 1, 255]) })).json()) as ProbeAnswer;
    expect(binary.event).toMatchObject({ isBase64Encoded: true, body: Buffer.from([0, 1, 255]).toString('base64') });
    const text = (await (await fetch(`${stack.url}/api/todos`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"é"}' })).json()) as ProbeAnswer;
    expect(text.event).toMatchObject({ isBase64Encoded: false, body: '{"title":"é"}' });
  });

  it('maps cookies to Set-Cookie headers and keeps the function\'s own x-request-id', async () => {
    const res = await fetch(`${stack.url}/api/todos?cookies=1`);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    expect(res.headers.get('x-request-id')).toBe('from-function');
  });

  it('decodes base64 results and turns unstructured results into 200 JSON', async () => {
    const binary = await fetch(`${stack.url}/api/todos?binary=1`);
    expect(new Uint8Array(await binary.arrayBuffer())).toEqual(new Uint8Array([0, 1, 2, 255]));
    const object = await fetch(`${stack.url}/api/todos?raw=object`);
    expect(object.headers.get('content-type')).toBe('application/json');
    expect(await object.json()).toEqual({ hello: 'world' });
    expect(await (await fetch(`${stack.url}/api/todos?raw=string`)).text()).toBe('plain string result');
  });

  it('answers gateway failures with the error contract', async () => {
    const bad = await fetch(`${stack.url}/api/todos?raw=bad`);
    expect(bad.status).toBe(502);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('InvalidFunctionResponse');
    const thrown = await fetch(`${stack.url}/api/todos?throw=1`);
    expect(thrown.status).toBe(500);
    const body = (await thrown.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('FunctionError');
    expect(body.error.message).toContain('TypeError: probe was asked to throw');
    expect(body.error.message).toContain(thrown.headers.get('x-request-id'));
  });

  it('refuses bodies over API Gateway\'s 10 MB limit with 413', async () => {
    const res = await fetch(`${stack.url}/api/todos`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PayloadTooLarge');
  });

  it('answers CORS preflights itself, for allowed origins only', async () => {
    const allowed = await fetch(`${stack.url}/api/todos`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const denied = await fetch(`${stack.url}/api/todos`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(denied.status).toBe(204);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await fetch(`${stack.url}/api/todos`, { headers: { origin: 'https://app.example' } });
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(actual.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('fails clearly when the port is taken', async () => {
    await expect(startLocalStack({ port: stack.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
