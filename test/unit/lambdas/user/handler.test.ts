import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sessionVerifier } from '../../../../lambdas/shared/session';
import { startDynalite, type TestDynamo } from '../../../helpers/dynalite';
import { bodyOf, httpEvent, sessionKeys, type HttpEventOptions, type SessionKeys } from '../../../helpers/factories';
import { startEdgeSecrets } from '../../../helpers/edge';
import type { SecretsManager } from '../../../helpers/secrets-manager';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

let dynamo: TestDynamo;
let secrets: SecretsManager;
let keys: SessionKeys;
let handler: Handler;
/** Everything the function logged (Powertools writes JSON lines to stdout). */
const logged: string[] = [];

beforeAll(async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
  dynamo = await startDynalite();
  keys = await sessionKeys();
  secrets = await startEdgeSecrets({ 'test/session-signing-key': JSON.stringify(keys.privateJwk) });
  Object.assign(process.env, {
    USERS_TABLE: dynamo.tableNames.users,
    LOGIN_ATTEMPTS_TABLE: dynamo.tableNames['login-attempts'],
    RULES_REPLICA_TABLE: dynamo.tableNames['rules-replica-for-user'],
    SESSION_PUBLIC_KEYS: JSON.stringify({ keys: [keys.publicJwk] }),
    SESSION_SIGNING_KEY_SECRET: 'test/session-signing-key',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    SCRYPT_N: '1024',
    COOKIE_SECURE: 'false',
    SESSION_TTL_SECONDS: '3600',
    LOG_LEVEL: 'INFO',
  });
  ({ handler } = (await import('../../../../lambdas/user/handler')) as { handler: Handler });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await secrets?.stop();
  await dynamo?.stop();
});

function call(routeKey: string, options: HttpEventOptions = {}) {
  return handler(httpEvent({ routeKey, path: routeKey.split(' ')[1], ...options }));
}

const register = (userName: string, password = 'correct horse battery') => call('POST /api/register', { body: { userName, password } });
const login = (userName: string, password: string, sourceIp = '203.0.113.1') =>
  call('POST /api/login/account', { body: { userName, password, type: 'account', autoLogin: true }, sourceIp });

/** The session cookie a successful login set, as the browser would send it back. */
function sessionCookieOf(res: APIGatewayProxyStructuredResultV2): string {
  const cookie = res.cookies?.[0] ?? '';
  return cookie.split(';')[0]!;
}

describe('register and login', () => {
  it('registers, then logs in with the seed protocol and an HttpOnly SameSite=Strict cookie', async () => {
    // Prepare
    const created = await register('Alice');

    // Act
    const res = await login('alice', 'correct horse battery');

    // Assess
    expect(created.statusCode).toBe(201);
    expect(bodyOf(created)).toMatchObject({ status: 'ok', userid: expect.any(String) });
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({ status: 'ok', type: 'account', currentAuthority: 'user' });
    const cookie = res.cookies?.[0] ?? '';
    expect(cookie).toMatch(/^session=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=3600$/);
    const session = await sessionVerifier({ keys: [keys.publicJwk] })(sessionCookieOf(res).slice('session='.length));
    expect(session).toMatchObject({ userName: 'Alice', userId: bodyOf<{ userid: string }>(created).userid, sessionVersion: 1 });
  });

  it('refuses a taken name in any case, and bad registrations by field', async () => {
    // Prepare
    await register('Bobby');

    // Act
    const taken = await register('BOBBY');
    const short = await call('POST /api/register', { body: { userName: 'b', password: 'short' } });
    const types = await call('POST /api/register', { body: { userName: 42 } });

    // Assess
    expect(taken.statusCode).toBe(409);
    expect(bodyOf(taken)).toMatchObject({ error: { code: 'UserNameTaken' } });
    expect(short.statusCode).toBe(400);
    expect(bodyOf<{ error: { message: string } }>(short).error.message).toMatch(/userName.*password/);
    expect(types.statusCode).toBe(400);
  });

  it('answers wrong passwords and unknown users identically, without a cookie', async () => {
    // Prepare
    await register('Carol');

    // Act
    const wrong = await login('carol', 'not the password', '203.0.113.2');
    const unknown = await login('nobody-here', 'not the password', '203.0.113.3');

    // Assess
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(200);
      expect(res.cookies).toBeUndefined();
    }
    expect(bodyOf(wrong)).toEqual(bodyOf(unknown));
    expect(bodyOf(wrong)).toMatchObject({ status: 'error', type: 'account', currentAuthority: 'guest' });
  });

  it('locks a user name out with 429 and Retry-After after 5 failures', async () => {
    // Prepare
    await register('Dave');
    for (let i = 0; i < 5; i++) await login('dave', 'guess ' + i, `198.51.100.${i}`);

    // Act
    const res = await login('dave', 'correct horse battery', '198.51.100.200');

    // Assess
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers?.['retry-after'])).toBeGreaterThan(890);
    expect(bodyOf(res)).toMatchObject({ error: { code: 'TooManyRequests' } });
    const counter = await dynamo.documentClient.send(new GetCommand({ TableName: dynamo.tableNames['login-attempts'], Key: { id: 'user#dave' } }));
    expect(counter.Item?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 890);
  });

  it('never logs passwords, hashes or tokens, and tags lines with the request id', async () => {
    // Prepare
    const from = logged.length;

    // Act
    await register('Erin', 'erins very secret');
    const res = await login('erin', 'erins very secret');
    await login('erin', 'erins wrong secret', '203.0.113.44');

    // Assess
    const lines = logged.slice(from).join('\n');
    const token = sessionCookieOf(res).split('=')[1]!;
    expect(lines).toContain('login succeeded');
    expect(lines).toMatch(/"message":"request handled".*"requestId":"[0-9a-f-]{36}"/);
    for (const secret of ['erins very secret', 'erins wrong secret', 'scrypt$', token]) expect(lines).not.toContain(secret);
  });
});

describe('current user and sign-out', () => {
  async function signedIn(name: string) {
    const created = bodyOf<{ userid: string }>(await register(name));
    const res = await login(name, 'correct horse battery', `192.0.2.${name.length}`);
    return { userId: created.userid, cookie: sessionCookieOf(res) };
  }

  it('answers the seed profile with todo counts from the rules replica, skipping tombstones', async () => {
    // Prepare
    const { userId, cookie } = await signedIn('Frank');
    const replica = dynamo.tableNames['rules-replica-for-user'];
    const items = [
      { userId, key: 'a', status: 1, version: 1 },
      { userId, key: 'b', status: 2, version: 1 },
      { userId, key: 'c', status: 3, version: 1 },
      { userId, key: 'd', status: 1, version: 2, _deleted: true },
      { userId: 'someone-else', key: 'e', status: 1, version: 1 },
    ];
    for (const Item of items) await dynamo.documentClient.send(new PutCommand({ TableName: replica, Item }));

    // Act
    const res = await call('GET /api/currentUser', { cookies: [cookie] });

    // Assess
    expect(res.statusCode).toBe(200);
    const body = bodyOf<Record<string, unknown>>(res);
    expect(body).toMatchObject({ name: 'Frank', userid: userId, notifyCount: 2, unreadCount: 3, access: 'user', success: true });
    expect(body.data).toMatchObject({ name: 'Frank', notifyCount: 2 });
    expect(JSON.stringify(body)).not.toContain('scrypt');
  });

  it('requires a session', async () => {
    // Prepare
    const cookies = ['session=not-a-token'];

    // Act
    const none = await call('GET /api/currentUser');
    const junk = await call('GET /api/currentUser', { cookies });

    // Assess
    expect(none.statusCode).toBe(401);
    expect(junk.statusCode).toBe(401);
  });

  it('clears the cookie on sign-out', async () => {
    // Prepare
    const { cookie } = await signedIn('Gina');

    // Act
    const res = await call('POST /api/login/outLogin', { cookies: [cookie], headers: { 'sec-fetch-site': 'same-origin' } });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toEqual({ data: {}, success: true });
    expect(res.cookies?.[0]).toMatch(/^session=; .*Max-Age=0/);
  });

  it('signs out everywhere: every older session is refused afterwards', async () => {
    // Prepare
    const { cookie } = await signedIn('Hugo');
    const other = sessionCookieOf(await login('hugo', 'correct horse battery', '192.0.2.77'));

    // Act
    const res = await call('POST /api/login/outLogin', { cookies: [cookie], body: { everywhere: true }, headers: { origin: 'https://todo.example.com' } });
    const afterwards = await call('GET /api/currentUser', { cookies: [other] });
    const fresh = sessionCookieOf(await login('hugo', 'correct horse battery', '192.0.2.78'));

    // Assess
    expect(res.statusCode).toBe(200);
    expect(afterwards.statusCode).toBe(401);
    expect(bodyOf(afterwards)).toMatchObject({ error: { code: 'SessionRevoked' } });
    const stored = await dynamo.documentClient.send(new GetCommand({ TableName: dynamo.tableNames.users, Key: { userName: 'hugo' } }));
    expect(stored.Item).toMatchObject({ sessionVersion: 2, version: 2 });
    expect((await call('GET /api/currentUser', { cookies: [fresh] })).statusCode).toBe(200);
  });

  it('refuses a cross-site sign-out', async () => {
    // Prepare
    const { cookie } = await signedIn('Ivan');

    // Act
    const res = await call('POST /api/login/outLogin', { cookies: [cookie], body: { everywhere: true }, headers: { origin: 'https://evil.example' } });

    // Assess
    expect(res.statusCode).toBe(403);
    const stored = await dynamo.documentClient.send(new GetCommand({ TableName: dynamo.tableNames.users, Key: { userName: 'ivan' } }));
    expect(stored.Item?.sessionVersion).toBe(1);
  });
});

describe('bad input', () => {
  it.each<[string, HttpEventOptions, number]>([
    ['malformed JSON', { body: '{"userName"', headers: { 'content-type': 'application/json' } }, 400],
    ['wrong content type', { body: 'userName=a', headers: { 'content-type': 'text/plain' } }, 415],
    ['oversized body', { body: { userName: 'x', password: 'y'.repeat(70_000) } }, 413],
    ['missing fields', { body: { type: 'account' } }, 400],
  ])('answers %s on login with the error contract', async (_name, options, status) => {
    // Prepare
    const event = httpEvent({ routeKey: 'POST /api/login/account', path: '/api/login/account', ...options });

    // Act
    const res = await handler(event);

    // Assess
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res)).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  });
});
