import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Conflict } from '../../../../lambdas/shared/errors';
import { httpHandler, json, parseBody, publicBaseUrl } from '../../../../lambdas/shared/http';
import { lazyHttpHandler, startEdgeSecrets, TEST_ORIGIN_SECRET_ID } from '../../../helpers/edge';
import { bodyOf, httpEvent } from '../../../helpers/factories';
import type { SecretsManager } from '../../../helpers/secrets-manager';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const schema = z.object({ title: z.string() });
let secrets: SecretsManager;

// The adapter checks the edge header for real, against the local Secrets Manager.
beforeAll(async () => {
  secrets = await startEdgeSecrets();
});
afterAll(async () => {
  await secrets?.stop();
});

describe('httpHandler', () => {
  const handler = lazyHttpHandler(() => httpHandler(logger, {
    'POST /things': async (event) => json(201, parseBody(event, schema)),
    'GET /things/{id}': async () => {
      throw new Conflict('stale', 'VersionConflict');
    },
    'GET /boom': async () => {
      throw new Error('secret internals: table arn:aws:dynamodb:...');
    },
  }, { originSecretId: TEST_ORIGIN_SECRET_ID }));

  it('dispatches on the route key and echoes the request id', async () => {
    // Prepare
    const event = httpEvent({ routeKey: 'POST /things', path: '/things', body: { title: 'a', extra: 1 } });

    // Act
    const res = await handler(event);

    // Assess
    expect(res.statusCode).toBe(201);
    expect(bodyOf(res)).toEqual({ title: 'a' });
    expect(res.headers?.['x-request-id']).toBe(event.requestContext.requestId);
    expect(res.headers?.['x-content-type-options']).toBe('nosniff');
  });

  it('maps typed errors to the contract and hides unexpected ones', async () => {
    // Prepare
    const events = [httpEvent({ routeKey: 'GET /things/{id}', path: '/things/1' }), httpEvent({ routeKey: 'GET /boom', path: '/boom' })];

    // Act
    const [conflict, boom] = await Promise.all(events.map((e) => handler(e)));

    // Assess
    expect(conflict!.statusCode).toBe(409);
    expect(bodyOf(conflict!)).toEqual({ error: { code: 'VersionConflict', message: 'stale' } });
    expect(boom!.statusCode).toBe(500);
    expect(boom!.body).not.toContain('secret');
  });

  it('answers 405 for a known path and 404 for an unknown one', async () => {
    // Prepare
    const wrongMethod = httpEvent({ routeKey: 'DELETE /things', path: '/things' });
    const unknown = httpEvent({ routeKey: 'GET /nothing', path: '/nothing' });

    // Act
    const [a, b] = await Promise.all([handler(wrongMethod), handler(unknown)]);

    // Assess
    expect(a.statusCode).toBe(405);
    expect(b.statusCode).toBe(404);
  });

  it.each([
    ['a +json content type', { body: '{"title":"a"}', headers: { 'content-type': 'application/merge-patch+json; charset=utf-8' } }, 201],
    ['no content type', { body: '{"title":"a"}', headers: { 'content-type': '' } }, 415],
    ['deeply nested JSON', { body: { title: 'a', nested: JSON.parse('['.repeat(500) + ']'.repeat(500)) } }, 201],
    ['exactly 64 KiB', { body: JSON.stringify({ title: 'x'.repeat(65_536 - 12) }), headers: { 'content-type': 'application/json' } }, 201],
    ['one byte over 64 KiB', { body: JSON.stringify({ title: 'x'.repeat(65_536 - 11) }), headers: { 'content-type': 'application/json' } }, 413],
  ])('handles a body with %s', async (_name, options, status) => {
    // Prepare
    const event = httpEvent({ routeKey: 'POST /things', path: '/things', ...options });

    // Act
    const res = await handler(event);

    // Assess
    expect(res.statusCode).toBe(status);
  });
});

describe('publicBaseUrl', () => {
  it('prefers the configured PUBLIC_BASE_URL over the Host header', () => {
    // Prepare
    const event = httpEvent({ headers: { host: 'abc.execute-api.us-east-1.amazonaws.com' } });

    // Act
    const fromHost = publicBaseUrl(event, undefined);
    const configured = publicBaseUrl(event, 'https://todo.example.org/');

    // Assess
    expect(fromHost).toBe('https://abc.execute-api.us-east-1.amazonaws.com');
    expect(configured).toBe('https://todo.example.org');
  });
});
