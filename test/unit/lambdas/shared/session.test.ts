import { afterEach, describe, expect, it } from 'vitest';
import { Forbidden, Unauthorized } from '../../../../lambdas/shared/errors';
import { assertSameOrigin, parseSessionKeySet, sessionCookie, sessionSource, sessionToken, sessionVerifier, signSession } from '../../../../lambdas/shared/session';
import { httpEvent, sessionClaims, sessionKeys } from '../../../helpers/factories';

const cookieWrite = (headers: Record<string, string>, method = 'POST') =>
  httpEvent({ method, routeKey: `${method} /api/todos`, path: '/api/todos', cookies: ['theme=dark', 'session=abc.def.ghi'], headers });

describe('session tokens', () => {
  it('verifies a token signed by the private key and carries the session version', async () => {
    // Prepare
    const keys = await sessionKeys();
    const claims = sessionClaims({ sessionVersion: 4 });
    const { token, expiresAt } = await signSession(claims, keys.privateJwk, 60);

    // Act
    const session = await sessionVerifier({ keys: [keys.publicJwk] })(token);

    // Assess
    expect(session).toMatchObject({ ...claims, expiresAt });
    expect(session.expiresAt - session.issuedAt).toBe(60);
  });

  it('selects the verification key by kid: the current and the previous key verify, a retired or unknown kid does not', async () => {
    // Prepare
    const [retired, previous, current] = await Promise.all([sessionKeys(), sessionKeys(), sessionKeys()]);
    const verify = sessionVerifier({ keys: [current.publicJwk, previous.publicJwk] });
    const signed = (keys: typeof current) => signSession(sessionClaims(), keys.privateJwk, 60).then((s) => s.token);
    // A foreign key that claims the current kid: selection by kid must still check the signature.
    const impostor = { ...retired.privateJwk, kid: current.privateJwk.kid };

    // Act
    const results = await Promise.allSettled([signed(current), signed(previous), signed(retired), signed({ ...retired, privateJwk: impostor })].map(async (t) => verify(await t)));

    // Assess
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    for (const r of results.slice(2)) expect((r as PromiseRejectedResult).reason).toMatchObject({ statusCode: 401, code: 'SessionInvalid' });
  });

  it('refuses a token without a kid even when only one key could match', async () => {
    // Prepare
    const keys = await sessionKeys();
    const { kid: _kid, ...noKid } = keys.privateJwk;
    const { SignJWT, importJWK } = await import('jose');
    const token = await new SignJWT({ name: 'x', sv: 1 }).setProtectedHeader({ alg: 'EdDSA' }).setSubject('u').setIssuer('noops-todo/user').setAudience('noops-todo').setIssuedAt().setExpirationTime('60s').sign(await importJWK(noKid, 'EdDSA'));

    // Act
    const result = sessionVerifier({ keys: [keys.publicJwk] })(token);

    // Assess
    await expect(result).rejects.toMatchObject({ statusCode: 401, code: 'SessionInvalid' });
  });

  it('reads SESSION_PUBLIC_KEYS as a JWKS of public keys with kids, and fails at start on anything else', async () => {
    // Prepare
    const keys = await sessionKeys();
    const bad = [JSON.stringify(keys.publicJwk), '{"keys":[]}', JSON.stringify({ keys: [keys.privateJwk] }), JSON.stringify({ keys: [{ ...keys.publicJwk, kid: undefined }] })];

    // Act
    const good = parseSessionKeySet(JSON.stringify({ keys: [keys.publicJwk] }));

    // Assess
    expect(good.keys).toEqual([keys.publicJwk]);
    for (const json of bad) expect(() => parseSessionKeySet(json), json).toThrow(/SESSION_PUBLIC_KEYS/);
  });

  it('refuses expired, tampered and foreign tokens', async () => {
    // Prepare
    const keys = await sessionKeys();
    const other = await sessionKeys();
    const verify = sessionVerifier({ keys: [keys.publicJwk] });
    const { token: expired } = await signSession(sessionClaims(), keys.privateJwk, -10);
    const { token: good } = await signSession(sessionClaims(), keys.privateJwk, 60);
    const [h, p, s] = good.split('.');
    const tampered = [h, Buffer.from(JSON.stringify({ sub: 'someone-else', name: 'x', sv: 99 })).toString('base64url'), s].join('.');
    const { token: foreign } = await signSession(sessionClaims(), other.privateJwk, 60);

    // Act
    const results = await Promise.allSettled([expired, tampered, foreign, 'junk', p!].map((t) => verify(t)));

    // Assess
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(Unauthorized);
    }
  });

  it('reads the bearer token before the cookie', () => {
    // Prepare
    const both = httpEvent({ cookies: ['session=from-cookie'], headers: { authorization: 'Bearer from-header' } });
    const cookieOnly = httpEvent({ cookies: ['other=1', '__Host-session=from-host-cookie'] });

    // Act
    const fromBoth = [sessionToken(both), sessionSource(both)];
    const fromCookie = [sessionToken(cookieOnly), sessionSource(cookieOnly)];

    // Assess
    expect(fromBoth).toEqual(['from-header', 'bearer']);
    expect(fromCookie).toEqual(['from-host-cookie', 'cookie']);
    expect(sessionSource(httpEvent())).toBeUndefined();
  });

  it('builds a __Host- cookie when secure and a plain one for http localhost', () => {
    // Prepare
    const token = 'a.b.c';

    // Act
    const secure = sessionCookie(token, 60, true);
    const local = sessionCookie(token, 60, false);

    // Assess
    expect(secure).toBe('__Host-session=a.b.c; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
    expect(local).toBe('session=a.b.c; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
  });
});

describe('CSRF check', () => {
  it.each([
    ['the own origin', { origin: 'https://todo.example.com' }],
    ['Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin' }],
    ['Sec-Fetch-Site none (typed URL, bookmark)', { 'sec-fetch-site': 'none' }],
  ])('lets a cookie write through from %s', (_name, headers) => {
    // Prepare
    const event = cookieWrite(headers);

    // Act
    const act = () => assertSameOrigin(event);

    // Assess
    expect(act).not.toThrow();
  });

  it.each([
    ['no Origin and no Sec-Fetch-Site', {}],
    ['a foreign origin', { origin: 'https://evil.example' }],
    ['the own host over another scheme', { origin: 'http://todo.example.com' }],
    ['a sibling site', { origin: 'https://evil.todo.example.com', 'sec-fetch-site': 'same-site' }],
    ['an opaque origin', { origin: 'null' }],
  ])('refuses a cookie write with %s', (_name, headers) => {
    // Prepare
    const event = cookieWrite(headers);

    // Act
    const act = () => assertSameOrigin(event);

    // Assess
    expect(act).toThrow(Forbidden);
  });

  it('allows the configured PUBLIC_BASE_URL and CORS_ALLOWED_ORIGINS', () => {
    // Prepare
    const site = { publicBaseUrl: 'https://d111.cloudfront.net/', corsOrigins: ['https://a.example', 'https://b.example'] };

    // Act
    const results = ['https://d111.cloudfront.net', 'https://b.example'].map((origin) => () => assertSameOrigin(cookieWrite({ origin }), site));

    // Assess
    for (const act of results) expect(act).not.toThrow();
  });

  it('exempts reads and bearer-token requests', () => {
    // Prepare
    const read = cookieWrite({ origin: 'https://evil.example' }, 'GET');
    const bearer = httpEvent({ method: 'DELETE', headers: { authorization: 'Bearer t', origin: 'https://evil.example' } });

    // Act
    const acts = [() => assertSameOrigin(read), () => assertSameOrigin(bearer)];

    // Assess
    for (const act of acts) expect(act).not.toThrow();
  });
});
