import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddress, originGuard, secretsManagerSource, viewerAddress } from '../../../../lambdas/shared/edge';
import { httpHandler, json } from '../../../../lambdas/shared/http';
import { lazyHttpHandler, startEdgeSecrets, TEST_ORIGIN_SECRET, TEST_ORIGIN_SECRET_ID } from '../../../helpers/edge';
import { bodyOf, httpEvent } from '../../../helpers/factories';
import { startSecretsManager, type SecretsManager } from '../../../helpers/secrets-manager';

let secrets: SecretsManager;
beforeAll(async () => {
  secrets = await startEdgeSecrets();
});
afterAll(async () => {
  await secrets?.stop();
});

/** A Secrets Manager of its own, read with the real SDK, for the rotation cases. */
async function rotating(id: string, first: string) {
  const local = await startSecretsManager({ secrets: { [id]: first } });
  return { local, source: secretsManagerSource(id, new SecretsManagerClient({ endpoint: local.endpoint })) };
}

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const withOrigin = (value: string | undefined) =>
  httpEvent({ routeKey: 'GET /things', path: '/things', throughEdge: false, headers: value === undefined ? {} : { 'x-origin-verify': value } });

describe('httpHandler behind the edge', () => {
  const seen: Array<Record<string, string | undefined>> = [];
  const handler = lazyHttpHandler(() => httpHandler(logger, {
    'GET /things': async (event) => {
      seen.push(event.headers);
      return json(200, { ok: true });
    },
  }, { originSecretId: TEST_ORIGIN_SECRET_ID }));

  it('runs the route for a request carrying the origin secret, which the route never sees', async () => {
    // Act
    const res = await handler(withOrigin(TEST_ORIGIN_SECRET));
    // Assess
    expect(res.statusCode).toBe(200);
    expect(seen.at(-1)).not.toHaveProperty('x-origin-verify');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['forged', 'guessed-value'],
    ['a prefix of the secret', TEST_ORIGIN_SECRET.slice(0, -1)],
    ['the secret plus a character', `${TEST_ORIGIN_SECRET}x`],
  ])('answers a direct call with a %s origin header 403 in the error contract, before any route', async (_, value) => {
    // Prepare
    const before = seen.length;
    // Act
    const res = await handler(withOrigin(value));
    // Assess
    expect(res.statusCode).toBe(403);
    expect(res.headers?.['content-type']).toMatch(/^application\/json/);
    expect(bodyOf(res)).toEqual({ error: { code: 'DirectAccessForbidden', message: 'Requests must come through the site' } });
    expect(seen.length).toBe(before);
  });

  it('refuses every request when no origin secret is configured', async () => {
    const guard = originGuard(undefined);
    await expect(guard(withOrigin(TEST_ORIGIN_SECRET))).rejects.toMatchObject({ statusCode: 403 });
  });

  it('does not change the caller\'s event', async () => {
    const event = withOrigin(TEST_ORIGIN_SECRET);
    await handler(event);
    expect(event.headers['x-origin-verify']).toBe(TEST_ORIGIN_SECRET);
  });
});

describe('the current value by its digest', () => {
  const digest = createHash('sha256').update(TEST_ORIGIN_SECRET).digest('hex');
  /** A source that counts its reads, as Secrets Manager would be called. */
  const counted = () => {
    const source = Object.assign(async () => {
      source.reads += 1;
      return ['previous-value', TEST_ORIGIN_SECRET];
    }, { reads: 0 });
    return source;
  };

  it('passes a request carrying the current value without reading the secret, at init or after', async () => {
    // Prepare
    const source = counted();
    const guard = originGuard(source, { digest });
    // Act
    const checked = await guard(withOrigin(TEST_ORIGIN_SECRET));
    // Assess
    expect(checked.headers).not.toHaveProperty('x-origin-verify');
    expect(source.reads).toBe(0);
  });

  it('checks any other value against the secret\'s stages, so the previous one passes during a rotation', async () => {
    const source = counted();
    const guard = originGuard(source, { digest });
    await expect(guard(withOrigin('previous-value'))).resolves.toBeDefined();
    await expect(guard(withOrigin('forged'))).rejects.toMatchObject({ statusCode: 403 });
    expect(source.reads).toBe(1);
  });

  it('refuses a missing or forged header with the digest alone, and a malformed digest matches nothing', async () => {
    const guard = originGuard(undefined, { digest });
    await expect(guard(withOrigin(TEST_ORIGIN_SECRET))).resolves.toBeDefined();
    await expect(guard(withOrigin(undefined))).rejects.toMatchObject({ statusCode: 403 });
    await expect(guard(withOrigin('forged'))).rejects.toMatchObject({ statusCode: 403 });
    await expect(originGuard(undefined, { digest: 'not-hex' })(withOrigin(TEST_ORIGIN_SECRET))).rejects.toMatchObject({ statusCode: 403 });
  });
});

describe('rotation', () => {
  it('accepts the current and the previous value, the new one at once, and refuses a retired one', async () => {
    // Prepare: a guard whose cache is fresh, then two rotations (real SDK against the local Secrets Manager)
    const id = 'test/rotating-origin';
    const { local, source } = await rotating(id, 'value-1');
    let clock = 0;
    const guard = originGuard(source, { maxAgeMs: 60_000, refreshAfterMs: 5_000, now: () => clock });
    const passes = (value: string) => guard(withOrigin(value)).then(() => true, () => false);
    try {
      expect(await passes('value-1')).toBe(true);
      // Act 1: CloudFront starts sending value-2 while this instance's cache still holds value-1.
      local.put(id, 'value-2');
      clock = 5_000;
      // Assess 1: the unknown value triggers one re-read; both values pass during propagation.
      expect(await passes('value-2')).toBe(true);
      expect(await passes('value-1')).toBe(true);
      // Act 2: the next rotation retires value-1.
      local.put(id, 'value-3');
      clock = 70_000;
      // Assess 2
      expect(await passes('value-3')).toBe(true);
      expect(await passes('value-2')).toBe(true);
      expect(await passes('value-1')).toBe(false);
    } finally {
      await local.stop();
    }
  });

  it('re-reads on an unknown value at most once per refresh interval', async () => {
    let reads = 0;
    let clock = 0;
    const guard = originGuard(async () => {
      reads += 1;
      return ['right'];
    }, { refreshAfterMs: 5_000, now: () => clock });
    await guard(withOrigin('right'));
    const initial = reads;
    for (let i = 0; i < 20; i++) await guard(withOrigin(`wrong-${i}`)).catch(() => undefined);
    expect(reads - initial).toBe(0);
    clock = 5_000;
    for (let i = 0; i < 20; i++) await guard(withOrigin(`wrong-${i}`)).catch(() => undefined);
    expect(reads - initial).toBe(1);
  });

  it('reads the secret before the first request and retries a failed read', async () => {
    let reads = 0;
    const guard = originGuard(async () => {
      reads += 1;
      if (reads === 1) throw new Error('Secrets Manager unavailable');
      return ['right'];
    });
    expect(reads).toBe(1);
    await expect(guard(withOrigin('right'))).resolves.toBeDefined();
  });

  it('reads AWSCURRENT and, once it exists, AWSPREVIOUS', async () => {
    const id = 'test/two-stages';
    const { local, source } = await rotating(id, 'first');
    try {
      expect(await source()).toEqual(['first']);
      local.put(id, 'second');
      expect(await source()).toEqual(['second', 'first']);
    } finally {
      await local.stop();
    }
  });
});

describe('viewer address', () => {
  const event = (value?: string, sourceIp = '130.176.1.1') => httpEvent({ sourceIp, headers: value === undefined ? {} : { 'cloudfront-viewer-address': value } });

  it.each([
    ['198.51.100.10:46532', '198.51.100.10'],
    ['2001:db8::1:46532', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1:443', '2001:db8:0:0:0:0:0:1'],
    ['[2001:db8::1]:46532', '2001:db8::1'],
    ['::ffff:192.0.2.1:8080', '::ffff:192.0.2.1'],
  ])('reads the IP of %s without the port', (value, ip) => {
    expect(viewerAddress(event(value))).toBe(ip);
  });

  it.each(['', 'not-an-ip:1', '198.51.100.10', '198.51.100.10:', '198.51.100.10:abc', '999.1.1.1:1', '198.51.100.10:1:2'])('ignores a malformed value %j', (value) => {
    expect(viewerAddress(event(value))).toBeUndefined();
  });

  it('counts by the viewer, and by the connection only when CloudFront sent no viewer address', () => {
    expect(clientAddress(event('198.51.100.10:46532'))).toBe('198.51.100.10');
    expect(clientAddress(event(undefined))).toBe('130.176.1.1');
  });
});
