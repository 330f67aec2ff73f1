import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_SECRET_ID } from '../../local/index';
import { routes, type FunctionName } from '../../topology/index';
import { httpEvent, type HttpEventOptions } from '../helpers/factories';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';

/**
 * The edge is the only way in: the local gateway plays CloudFront, and a request that reaches a
 * function any other way (here: invoked through the function pool, as a caller of the execute-api
 * endpoint would) is refused before any route runs.
 */
const MAX_FAILURES = 4;
let stack: LocalStack;
let originSecret: string;
/** Every line the functions logged during this file. */
const logged: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ env: { SCRYPT_N: '1024', LOGIN_MAX_FAILURES: String(MAX_FAILURES), LOGIN_SLOWDOWN_MS: '1', LOG_LEVEL: 'DEBUG' } });
  stack.pool.on('log', (entry: { line: string }) => logged.push(entry.line));
  const client = new SecretsManagerClient({ endpoint: stack.secretsManagerEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  originSecret = (await client.send(new GetSecretValueCommand({ SecretId: ORIGIN_SECRET_ID }))).SecretString!;
  client.destroy();
}, 60_000);
afterAll(() => stack?.stop());

/** A payload-2.0 event straight to a function, with whatever edge headers the caller chose. */
function direct(fn: FunctionName, options: HttpEventOptions & { routeKey: string }): Promise<APIGatewayProxyStructuredResultV2> {
  return stack.pool.invoke(fn, httpEvent({ ...options, throughEdge: false })) as Promise<APIGatewayProxyStructuredResultV2>;
}

const oneRoutePerFunction = [...new Map(routes.map((r) => [r.function, r.routeKey])).entries()];

describe('the origin check', () => {
  it.each(oneRoutePerFunction)('refuses a direct call to %s without, or with a forged, origin header: 403 JSON', async (fn, routeKey) => {
    // Prepare
    const path = routeKey === '$default' ? '/' : routeKey.split(' ')[1]!;
    const variants: Record<string, string>[] = [{}, { 'x-origin-verify': 'forged' }, { 'x-origin-verify': originSecret.slice(1) }];
    for (const headers of variants) {
      // Act
      const res = await direct(fn, { routeKey, path, headers });
      // Assess
      expect(res.statusCode).toBe(403);
      expect(res.headers?.['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body!)).toEqual({ error: { code: 'DirectAccessForbidden', message: 'Requests must come through the site' } });
    }
  });

  it('lets the same calls through the gateway, even when the caller forges the edge headers', async () => {
    // Act
    const page = await fetch(`${stack.url}/`, { headers: { 'x-origin-verify': 'forged' } });
    const api = await fetch(`${stack.url}/api/currentUser`, { headers: { 'x-origin-verify': 'forged', 'cloudfront-viewer-address': '203.0.113.1:1' } });
    const replication = await fetch(`${stack.url}/api/replication`);
    // Assess: the static page answers, and the API routes run (and ask for a session).
    expect(page.status).toBe(200);
    expect(api.status).toBe(401);
    expect(replication.status).toBe(401);
  });

  it('accepts a direct call that carries the origin secret, as CloudFront\'s would', async () => {
    const res = await direct('user', { routeKey: 'GET /api/currentUser', path: '/api/currentUser', headers: { 'x-origin-verify': originSecret } });
    expect(res.statusCode).toBe(401);
  });
});

describe('login throttling behind one edge', () => {
  /** A sign-in as CloudFront forwards it: one edge address for everyone, the viewer in CloudFront-Viewer-Address. */
  const login = async (userName: string, password: string, viewer: string) => {
    const res = await direct('user', {
      routeKey: 'POST /api/login/account',
      path: '/api/login/account',
      sourceIp: '130.176.0.1',
      headers: { 'x-origin-verify': originSecret, 'cloudfront-viewer-address': viewer },
      body: { userName, password, type: 'account' },
    });
    return { status: res.statusCode, body: JSON.parse(res.body!) as { status?: string } };
  };

  it('counts each viewer separately: one guessing viewer does not lock out another behind the same edge', async () => {
    // Prepare
    const password = 'correct horse battery';
    const registered = await fetch(`${stack.url}/api/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userName: 'carol', password }) });
    expect(registered.status).toBe(201);
    // Act: viewer A guesses across many names (the per-address counter), from the edge 130.176.0.1.
    for (let i = 0; i < MAX_FAILURES; i++) await login(`nobody-${i}`, 'wrong', '198.51.100.7:40001');
    const guesser = await login('carol', password, '198.51.100.7:40002');
    const neighbour = await login('carol', password, '2001:db8::5:40003');
    // Assess
    expect(guesser.status).toBe(429);
    expect(neighbour).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
  }, 60_000);
});

describe('the origin secret in logs', () => {
  it('appears in no function log line, at DEBUG, after all the requests above', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.filter((line) => line.includes(originSecret))).toEqual([]);
  });
});
