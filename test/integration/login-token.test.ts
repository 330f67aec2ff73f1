import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { decodeJwt } from 'jose';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';
import { dynamoClient, eventually } from '../helpers/probes';

/**
 * `POST /api/login/token`, the sign-in for scripts and CLIs, over HTTP against the local stack: the same
 * expiry, revocation and throttling as the cookie login. Throttling counts per client address too, so
 * every test signs in from its own 127.x.y.z address (Linux routes all of 127/8 to lo).
 */
const MAX_FAILURES = 4;
const TTL_SECONDS = 1800;
const PASSWORD = 'correct-Horse-9';
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    env: { SCRYPT_N: '1024', LOG_LEVEL: 'ERROR', SESSION_TTL_SECONDS: String(TTL_SECONDS), LOGIN_MAX_FAILURES: String(MAX_FAILURES), LOGIN_WINDOW_SECONDS: '600', LOGIN_LOCKOUT_SECONDS: '600', LOGIN_SLOWDOWN_MS: '0' },
  });
}, 60_000);

afterAll(() => stack?.stop());

let nextIp = 10;
const freshIp = () => `127.0.${Math.floor(++nextIp / 250)}.${(nextIp % 250) + 1}`;

interface Answer {
  status: number;
  body: any;
  headers: http.IncomingHttpHeaders;
}

/** A request from a chosen source address (fetch cannot pick one). */
function send(method: string, path: string, options: { body?: string | object; headers?: Record<string, string>; ip?: string } = {}): Promise<Answer> {
  const body = options.body === undefined ? '' : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const url = new URL(path, stack.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname, port: url.port, path: url.pathname, method, localAddress: options.ip ?? freshIp(), agent: false, timeout: 30_000,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), 'content-length': Buffer.byteLength(body), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

const register = async (userName: string) => expect((await send('POST', '/api/register', { body: { userName, password: PASSWORD } })).status).toBe(201);
const tokenLogin = (userName: string, password = PASSWORD, ip?: string) => send('POST', '/api/login/token', { body: { userName, password }, ...(ip ? { ip } : {}) });
const cookieLogin = (userName: string, password = PASSWORD, ip?: string) => send('POST', '/api/login/account', { body: { userName, password, type: 'account' }, ...(ip ? { ip } : {}) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('POST /api/login/token', () => {
  it('answers a bearer token with its expiry and no cookie; the token works on /api/todos without any Origin', async () => {
    // Prepare
    await register('script-user');

    // Act
    const signedIn = await tokenLogin('script-user');
    const { token } = signedIn.body;
    const created = await send('POST', '/api/todos', { body: { title: 'from a script' }, headers: bearer(token) });
    const listed = await send('GET', '/api/todos', { headers: bearer(token) });

    // Assess
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toEqual({ token: expect.any(String), tokenType: 'Bearer', expiresAt: expect.any(String) });
    expect(signedIn.headers['set-cookie']).toBeUndefined();
    // The same lifetime as the cookie session (SESSION_TTL_SECONDS), and expiresAt is the token's exp.
    const claims = decodeJwt(token);
    expect(claims.exp! - claims.iat!).toBe(TTL_SECONDS);
    expect(Date.parse(signedIn.body.expiresAt)).toBe(claims.exp! * 1000);
    expect(created.status).toBe(201);
    expect(listed.status).toBe(200);
    expect(listed.body.map((t: { title: string }) => t.title)).toEqual(['from a script']);
  });

  it('is revoked by "sign out everywhere" exactly as the cookie is, in the user service at once and in the rule service once replicated', async () => {
    // Prepare: a script's token and a browser's cookie of one user, both working.
    await register('revoked-user');
    const { token } = (await tokenLogin('revoked-user')).body;
    const cookie = String((await cookieLogin('revoked-user')).headers['set-cookie']?.[0]).split(';')[0]!;
    expect((await send('GET', '/api/todos', { headers: bearer(token) })).status).toBe(200);
    expect((await send('GET', '/api/todos', { headers: { cookie } })).status).toBe(200);

    // Act: the script signs out everywhere with its own token.
    const out = await send('POST', '/api/login/outLogin', { body: { everywhere: true }, headers: bearer(token) });
    const userService = await Promise.all([bearer(token), { cookie }].map((headers) => send('GET', '/api/currentUser', { headers })));
    const ruleRefuses = await eventually(async () => (await send('GET', '/api/todos', { headers: bearer(token) })).status === 401);
    const rule = await Promise.all([bearer(token), { cookie }].map((headers) => send('GET', '/api/todos', { headers })));

    // Assess
    expect(out.status).toBe(200);
    expect(ruleRefuses).toBe(true);
    for (const res of [...userService, ...rule]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'SessionRevoked', message: expect.any(String) } });
    }
    expect((await tokenLogin('revoked-user')).status).toBe(200);
  }, 60_000);

  it.each([
    ['token', tokenLogin],
    ['cookie', cookieLogin],
  ])('locks a user name out of both logins after the same number of failures, counted on the %s login', async (route, failWith) => {
    // Prepare: every guess from its own address, so only the user-name counter climbs.
    const userName = `throttled-by-${route}`;
    await register(userName);

    // Act
    const guesses = [];
    for (let i = 0; i < MAX_FAILURES; i++) guesses.push(await failWith(userName, `wrong ${i}`, freshIp()));
    const token = await tokenLogin(userName, PASSWORD, freshIp());
    const cookie = await cookieLogin(userName, PASSWORD, freshIp());

    // Assess: not locked before MAX_FAILURES failures (every guess is an ordinary failure), locked after.
    for (const guess of guesses) expect(guess.status).toBe(route === 'token' ? 401 : 200);
    if (route === 'token') expect(guesses[0]!.body).toEqual({ error: { code: 'InvalidCredentials', message: 'Wrong user name or password' } });
    for (const locked of [token, cookie]) {
      expect(locked.status).toBe(429);
      expect(locked.body).toEqual({ error: { code: 'TooManyRequests', message: expect.any(String) } });
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(token.headers['set-cookie']).toBeUndefined();
  }, 60_000);

  it('locks out a client address after the same number of failures', async () => {
    // Prepare
    await register('address-bystander');
    const ip = freshIp();

    // Act
    for (let i = 0; i < MAX_FAILURES; i++) await tokenLogin(`nobody-${i}`, 'wrong', ip);
    const fromThatAddress = await tokenLogin('address-bystander', PASSWORD, ip);
    const fromElsewhere = await tokenLogin('address-bystander', PASSWORD, freshIp());

    // Assess
    expect(fromThatAddress.status).toBe(429);
    expect(fromElsewhere.status).toBe(200);
  }, 60_000);

  it.each([
    ['no body', undefined],
    ['not JSON', '{"userName":'],
    ['an array', '[]'],
    ['no password', { userName: 'bad-input-user' }],
    ['an empty password', { userName: 'bad-input-user', password: '' }],
    ['a numeric user name', { userName: 42, password: PASSWORD }],
    ['a password over 1024 characters', { userName: 'bad-input-user', password: 'x'.repeat(1025) }],
  ])('answers %s with 400 and the JSON error contract, counting nothing', async (_case, body) => {
    // Act
    const res = await send('POST', '/api/login/token', { ...(body === undefined ? { headers: { 'content-type': 'application/json' } } : { body }) });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(res.headers['set-cookie']).toBeUndefined();
    const db = dynamoClient(stack);
    const { Items = [] } = await db.send(new ScanCommand({ TableName: stack.tableName('login-attempts') }));
    db.destroy();
    expect(Items.filter((item) => item.id?.S === 'user#bad-input-user')).toEqual([]);
  });
});
