import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../../../../topology/http-policy';
import { startEdgeSecrets } from '../../../helpers/edge';
import { bodyOf, httpEvent } from '../../../helpers/factories';
import type { SecretsManager } from '../../../helpers/secrets-manager';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

let dir: string;
let secrets: SecretsManager;
let handler: Handler;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);
const INDEX = '<!doctype html><title>noops-todo</title><script type="module" src="/assets/app-1a2b3c.js"></script>';

beforeAll(async () => {
  secrets = await startEdgeSecrets();
  dir = await mkdtemp(path.join(tmpdir(), 'static-'));
  const root = path.join(dir, 'web');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), INDEX);
  await writeFile(path.join(root, 'assets', 'app-1a2b3c.js'), 'console.log("hi")');
  await writeFile(path.join(root, 'assets', 'logo.png'), PNG);
  await writeFile(path.join(root, '.env'), 'SECRET=1');
  await writeFile(path.join(dir, 'secret.txt'), 'outside the web root');
  Object.assign(process.env, { WEB_ROOT: root, LOG_LEVEL: 'SILENT' });
  ({ handler } = (await import('../../../../lambdas/static/handler')) as { handler: Handler });
});

afterAll(async () => {
  await secrets?.stop();
  await rm(dir, { recursive: true, force: true });
});

const get = (rawPath: string, headers: Record<string, string> = {}, method = 'GET') =>
  handler(httpEvent({ routeKey: '$default', method, path: rawPath, headers }));

describe('static web app', () => {
  it('serves index.html at / with no-cache and an ETag', async () => {
    // Prepare
    const rawPath = '/';

    // Act
    const res = await get(rawPath);

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', etag: expect.stringMatching(/^".+"$/) });
  });

  it('falls back to index.html for client-side routes', async () => {
    // Prepare
    const paths = ['/login', '/todos/42', '/deep/link/'];

    // Act
    const results = await Promise.all(paths.map((p) => get(p)));

    // Assess
    for (const res of results) {
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers?.['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets as immutable with their content type', async () => {
    // Prepare
    const rawPath = '/assets/app-1a2b3c.js';

    // Act
    const res = await get(rawPath);

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('console.log("hi")');
    expect(res.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable' });
  });

  it('sends binary files base64-encoded', async () => {
    // Prepare
    const rawPath = '/assets/logo.png';

    // Act
    const res = await get(rawPath);

    // Assess
    expect(res.isBase64Encoded).toBe(true);
    expect(Buffer.from(res.body ?? '', 'base64')).toEqual(PNG);
    expect(res.headers?.['content-type']).toBe('image/png');
  });

  it('answers 304 when If-None-Match matches, and HEAD without a body', async () => {
    // Prepare
    const first = await get('/assets/app-1a2b3c.js');
    const etag = String(first.headers?.etag);

    // Act
    const cached = await get('/assets/app-1a2b3c.js', { 'if-none-match': `"other", W/${etag}` });
    const changed = await get('/assets/app-1a2b3c.js', { 'if-none-match': '"other"' });
    const head = await get('/assets/app-1a2b3c.js', {}, 'HEAD');

    // Assess
    expect(cached.statusCode).toBe(304);
    expect(cached.body).toBe('');
    expect(cached.headers?.etag).toBe(etag);
    expect(changed.statusCode).toBe(200);
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers?.['content-length']).toBe('17');
  });

  it('answers 404 for missing assets and JSON 404 for unknown API paths', async () => {
    // Prepare
    const missing = '/assets/nope-123.js';

    // Act
    const asset = await get(missing);
    const api = await get('/api/nothing-here');

    // Assess
    expect(asset.statusCode).toBe(404);
    expect(api.statusCode).toBe(404);
    expect(api.headers?.['content-type']).toMatch(/^application\/json/);
    expect(bodyOf(api)).toEqual({ error: { code: 'NotFound', message: expect.any(String) } });
  });

  it.each(['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/.env', '/%00index.html', '/%E0%A4%A.js'])(
    'never serves anything outside the web root or hidden: %s',
    async (rawPath) => {
      // Prepare
      const event = httpEvent({ routeKey: '$default', path: rawPath });

      // Act
      const res = await handler(event);

      // Assess
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('outside the web root');
      expect(res.body).not.toContain('SECRET');
    },
  );

  it('refuses methods other than GET and HEAD', async () => {
    // Prepare
    const event = httpEvent({ routeKey: '$default', method: 'POST', path: '/index.html', body: {} });

    // Act
    const res = await handler(event);

    // Assess
    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe('GET, HEAD');
  });

  it('puts the security headers on every response, errors included', async () => {
    // Prepare
    const paths = ['/', '/assets/logo.png', '/assets/missing.js', '/api/unknown'];

    // Act
    const results = await Promise.all(paths.map((p) => get(p)));

    // Assess
    for (const res of results) expect(res.headers).toMatchObject(SECURITY_HEADERS);
    const csp = SECURITY_HEADERS['content-security-policy']!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(/script-src[^;]*'unsafe-inline'/.test(csp)).toBe(false);
    expect(/style-src[^;]*'unsafe-inline'/.test(csp)).toBe(false);
    expect(SECURITY_HEADERS['x-frame-options']).toBe('DENY');
    expect(SECURITY_HEADERS['strict-transport-security']).toMatch(/^max-age=\d+/);
  });
});
