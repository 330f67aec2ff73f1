import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../local/index';
import { SECURITY_HEADERS } from '../../topology/http-policy';
import { Client, dynamoClient, eventually, fingerprint, PASSWORD, scanTable, signedIn, sleep } from '../helpers/probes';
import { startLocalStack } from '../helpers/local-stack';

/**
 * The security claims of docs/security.md, each checked against the running stack. Throttling counts
 * failures per client address, and every local client is loopback: each test signs in from its own
 * 127.x.y.z address (Linux routes all of 127/8 to lo), so the tests cannot lock each other out.
 */
const MAX_FAILURES = 6;
const LOCKOUT_SECONDS = 3;
const SESSION_TTL_SECONDS = 4;
const SLOWDOWN_MS = 150;
let stack: Stack;
let db: DynamoDBClient;

beforeAll(async () => {
  stack = await startLocalStack({ load: true, 
    env: {
      // Large enough that one hash clearly outweighs everything else a sign-in does (the timing test).
      SCRYPT_N: '8192',
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_WINDOW_SECONDS: '60',
      LOGIN_LOCKOUT_SECONDS: String(LOCKOUT_SECONDS),
      LOGIN_SLOWDOWN_MS: String(SLOWDOWN_MS),
    },
  });
  db = dynamoClient(stack);
}, 60_000);

afterAll(async () => {
  db?.destroy();
  await stack?.stop();
});

let nextIp = 10;
/** A fresh loopback source address for one test. */
const freshIp = () => `127.0.${Math.floor(++nextIp / 250)}.${(nextIp % 250) + 1}`;

interface LoginAnswer {
  status: number;
  body: any;
  text: string;
  cookie?: string;
  retryAfter?: string;
  ms: number;
}

/** POST /api/login/account from a chosen source address (fetch cannot pick one). */
function login(userName: string, password: string, ip: string): Promise<LoginAnswer> {
  const body = JSON.stringify({ userName, password, type: 'account' });
  const url = new URL('/api/login/account', stack.url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: ip, agent: false, timeout: 30_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => /^session=./.test(c));
          resolve({ status: res.statusCode ?? 0, text, body: JSON.parse(text), ms: performance.now() - started, ...(cookie ? { cookie } : {}), ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('login timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('login throttling', () => {
  it('slows a guessed user name down, then locks it out with 429 for a while, even from other addresses', async () => {
    // Prepare
    await signedIn(stack.url, 'target-one');
    // Act: every guess from a new address, so only the user-name counter climbs.
    const guesses: LoginAnswer[] = [];
    for (let i = 0; i < MAX_FAILURES; i++) guesses.push(await login('target-one', `wrong ${i}`, freshIp()));
    const locked = await login('target-one', PASSWORD, freshIp());
    // Assess
    expect(guesses.map((g) => [g.status, g.body.status])).toEqual(guesses.map(() => [200, 'error']));
    // The first half is free; past it each failure waits SLOWDOWN_MS, 2x, 4x… before answering.
    const free = Math.floor(MAX_FAILURES / 2);
    for (const [i, guess] of guesses.entries()) {
      if (i + 1 > free) expect(guess.ms, `guess ${i + 1}`).toBeGreaterThanOrEqual(SLOWDOWN_MS * 2 ** (i - free) - 5);
    }
    expect(locked.status).toBe(429);
    expect(locked.body).toEqual({ error: { code: 'TooManyRequests', message: expect.any(String) } });
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    expect(Number(locked.retryAfter)).toBeLessThanOrEqual(LOCKOUT_SECONDS);
    expect(locked.cookie).toBeUndefined();
  }, 60_000);

  it('stores counters with a TTL attribute and lets the right password in once the lockout expired, with nothing cleaned up', async () => {
    // Prepare
    await signedIn(stack.url, 'target-two');
    for (let i = 0; i < MAX_FAILURES; i++) await login('target-two', 'wrong', freshIp());
    const now = Math.floor(Date.now() / 1000);
    const counter = (await db.send(new GetItemCommand({ TableName: stack.tableName('login-attempts'), Key: { id: { S: 'user#target-two' } }, ConsistentRead: true }))).Item;
    // Act
    const during = await login('target-two', PASSWORD, freshIp());
    await sleep((LOCKOUT_SECONDS + 1) * 1000);
    const after = await login('target-two', PASSWORD, freshIp());
    // Assess
    expect(counter?.failures?.N).toBe(String(MAX_FAILURES));
    // `expiresAt` is the table's TTL attribute (topology ttlAttribute, DynamoDB TTL on AWS).
    expect(Number(counter?.expiresAt?.N)).toBeGreaterThan(now);
    expect(Number(counter?.expiresAt?.N)).toBeLessThanOrEqual(now + LOCKOUT_SECONDS + 1);
    expect(during.status).toBe(429);
    expect(after.status).toBe(200);
    expect(after.body.status).toBe('ok');
    expect(after.cookie).toBeDefined();
  }, 60_000);

  it('locks out a client address that guesses across many user names', async () => {
    // Prepare
    const ip = freshIp();
    await signedIn(stack.url, 'bystander');
    // Act
    for (let i = 0; i < MAX_FAILURES; i++) await login(`nobody-${i}`, 'wrong', ip);
    const fromThatAddress = await login('bystander', PASSWORD, ip);
    const fromElsewhere = await login('bystander', PASSWORD, freshIp());
    // Assess
    expect(fromThatAddress.status).toBe(429);
    expect(fromElsewhere.status).toBe(200);
    const ipCounter = (await scanTable(db, stack.tableName('login-attempts'))).find((item) => item.id?.S === `ip#${ip}`);
    expect(ipCounter?.expiresAt?.N).toBeDefined();
  }, 60_000);

  it('answers an unknown user exactly like a wrong password, and spends a password hash on both', async () => {
    // Prepare: ten accounts, each guessed at most twice, every guess from its own address: no counter reaches the slow-down.
    const names = Array.from({ length: 10 }, (_, i) => `timing-${i}`);
    for (const name of names) await signedIn(stack.url, name);
    const wrong: LoginAnswer[] = [];
    const unknown: LoginAnswer[] = [];
    // Act: interleaved, so load on the machine hits both samples alike.
    for (let i = 0; i < 12; i++) {
      wrong.push(await login(names[i % names.length]!, `not the password ${i}`, freshIp()));
      unknown.push(await login(`ghost-${i}-${Date.now()}`, `not the password ${i}`, freshIp()));
    }
    const success = await login('timing-0', PASSWORD, freshIp());
    // Assess
    const bodies = new Set([...wrong, ...unknown].map((a) => `${a.status} ${a.text}`));
    expect(bodies.size).toBe(1);
    expect(wrong[0]!.body).toEqual({ status: 'error', type: 'account', currentAuthority: 'guest', error: { code: 'InvalidCredentials', message: expect.any(String) } });
    // Loose on purpose: an unknown user that skipped scrypt would answer several times faster.
    const ratio = median(unknown.map((a) => a.ms)) / median(wrong.map((a) => a.ms));
    console.log(`login timing medians (ms): wrong password ${median(wrong.map((a) => a.ms)).toFixed(1)}, unknown user ${median(unknown.map((a) => a.ms)).toFixed(1)}, ratio ${ratio.toFixed(2)}`);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    expect(success.body.status).toBe('ok');
  }, 120_000);

  it('refuses a cross-site form that tries to sign a victim into the attacker\'s account (no JSON without CORS)', async () => {
    // Prepare
    await signedIn(stack.url, 'attacker-account');
    // Act: the only bodies a cross-site HTML form can send.
    const form = await fetch(`${stack.url}/api/login/account`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, body: JSON.stringify({ userName: 'attacker-account', password: PASSWORD }) });
    const urlencoded = await fetch(`${stack.url}/api/login/account`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, body: `userName=attacker-account&password=${encodeURIComponent(PASSWORD)}` });
    // Assess
    expect([form.status, urlencoded.status]).toEqual([415, 415]);
    expect(form.headers.getSetCookie()).toEqual([]);
    expect(urlencoded.headers.getSetCookie()).toEqual([]);
  });
});

describe('sessions', () => {
  it('expire after SESSION_TTL_SECONDS in every service', async () => {
    // Prepare: a stack of its own, since every session there is short-lived.
    const shortLived = await startLocalStack({ load: true,  env: { SESSION_TTL_SECONDS: String(SESSION_TTL_SECONDS) } });
    try {
      await expiry(shortLived);
    } finally {
      await shortLived.stop();
    }
  }, 60_000);

  async function expiry(shortLived: Stack): Promise<void> {
    const user = await signedIn(shortLived.url, 'short-lived');
    const issuedAt = Date.now();
    const fresh = (await Promise.all([user.get('/api/currentUser'), user.get('/api/todos'), user.get('/api/replication')])).map((r) => r.status);
    // Act: JWT expiry has one-second resolution.
    await sleep(issuedAt + (SESSION_TTL_SECONDS + 1.5) * 1000 - Date.now());
    const answers = [await user.get('/api/currentUser'), await user.get('/api/todos'), await user.get('/api/replication'), await user.send('POST', '/api/todos', { json: { title: 'late' } })];
    // Assess
    expect(fresh).toEqual([200, 200, 200]);
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: { code: 'SessionInvalid', message: expect.any(String) } });
    }
    const raw = await fetch(`${shortLived.url}/api/login/account`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userName: 'short-lived', password: PASSWORD }) });
    const cookie = raw.headers.getSetCookie()[0]!;
    // The cookie dies with the token: HttpOnly (no script reads it), SameSite=Strict, same Max-Age.
    expect(cookie).toMatch(/^session=[\w-]+\.[\w-]+\.[\w-]+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain(`Max-Age=${SESSION_TTL_SECONDS}`);
  }

  it('sign-out from all devices: the user service refuses old tokens at once, the rule service once its users replica has the new version', async () => {
    // Prepare: two devices of one user, both working in both services.
    const phone = await signedIn(stack.url, 'two-devices');
    const laptop = new Client(stack.url);
    const laptopLogin = await login('two-devices', PASSWORD, freshIp());
    laptop.cookie = laptopLogin.cookie;
    const replicaVersion = async () =>
      Number((await db.send(new GetItemCommand({ TableName: stack.tableName('users-replica-for-rule'), Key: { userName: { S: 'two-devices' } }, ConsistentRead: true }))).Item?.sessionVersion?.N ?? 0);
    expect(await eventually(async () => (await replicaVersion()) === 1)).toBe(true);
    const todo = (await laptop.send('POST', '/api/todos', { json: { title: 'from the laptop' } })).json;
    // Act
    const out = await phone.send('POST', '/api/login/outLogin', { json: { everywhere: true } });
    const userServiceAtOnce = await laptop.get('/api/currentUser');
    const replicated = await eventually(async () => (await replicaVersion()) === 2);
    const before = await fingerprint(db, [stack.tableName('rules')]);
    const ruleAnswers = [
      await laptop.get('/api/todos'),
      await laptop.get(`/api/todos/${todo.id}`),
      await laptop.send('PATCH', `/api/todos/${todo.id}`, { json: { title: 'after sign-out' } }),
      await laptop.send('DELETE', `/api/todos/${todo.id}`),
      await laptop.send('POST', '/api/todos', { json: { title: 'after sign-out' } }),
      await laptop.get('/api/rule'),
    ];
    const again = await signedInAgain('two-devices');
    // Assess
    expect(out.status).toBe(200);
    expect(phone.cookie).toBeUndefined();
    expect(userServiceAtOnce.status).toBe(401);
    expect(userServiceAtOnce.json.error.code).toBe('SessionRevoked');
    expect(replicated).toBe(true);
    for (const res of ruleAnswers) {
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('SessionRevoked');
    }
    expect(await fingerprint(db, [stack.tableName('rules')])).toBe(before);
    expect((await again.get(`/api/todos/${todo.id}`)).json.title).toBe('from the laptop');
  }, 60_000);
});

async function signedInAgain(userName: string): Promise<Client> {
  const client = new Client(stack.url);
  const res = await login(userName, PASSWORD, freshIp());
  client.cookie = res.cookie;
  return client;
}

describe('CSRF', () => {
  it('refuses every cookie-authenticated write from another site with 403, and changes nothing', async () => {
    // Prepare
    const user = await signedIn(stack.url, 'csrf-target');
    const todo = (await user.send('POST', '/api/todos', { json: { title: 'keep me' } })).json;
    const writes: Array<[string, string, unknown]> = [
      ['POST', '/api/todos', { title: 'forged' }],
      ['DELETE', '/api/todos', undefined],
      ['PATCH', `/api/todos/${todo.id}`, { title: 'forged' }],
      ['DELETE', `/api/todos/${todo.id}`, undefined],
      ['POST', '/api/rule', { name: 'forged' }],
      ['PUT', '/api/rule', { key: todo.id, name: 'forged' }],
      ['DELETE', '/api/rule', { key: [todo.id] }],
      ['POST', '/api/login/outLogin', { everywhere: true }],
    ];
    const attempts: Array<{ origin: string | null; headers?: Record<string, string> }> = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: null, headers: { 'sec-fetch-site': 'cross-site' } },
      { origin: null, headers: { 'sec-fetch-site': 'same-site' } },
      { origin: null },
      { origin: `${stack.url}.evil.example` },
      { origin: 'https://evil.example', headers: { 'sec-fetch-site': 'cross-site', referer: `${stack.url}/` } },
    ];
    const before = await fingerprint(db, [stack.tableName('rules'), stack.tableName('users')]);
    // Act
    const answers = [];
    for (const [method, path, json] of writes) {
      for (const attempt of attempts) answers.push({ method, path, res: await user.send(method, path, { ...(json === undefined ? {} : { json }), origin: attempt.origin, ...(attempt.headers ? { headers: attempt.headers } : {}) }) });
    }
    const after = await fingerprint(db, [stack.tableName('rules'), stack.tableName('users')]);
    const sameSite = await user.send('PATCH', `/api/todos/${todo.id}`, { json: { title: 'from the site' }, origin: null, headers: { 'sec-fetch-site': 'same-origin' } });
    // Assess
    for (const { method, path, res } of answers) {
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json).toEqual({ error: { code: 'CrossSiteRequest', message: expect.any(String) } });
    }
    expect(answers).toHaveLength(writes.length * attempts.length);
    expect(after).toBe(before);
    // The same cookie from the site itself still works: the refusals were about the origin only.
    expect(sameSite.status).toBe(200);
    expect(sameSite.json.title).toBe('from the site');
  }, 60_000);
});

describe('static responses', () => {
  it.each(['/', '/login', '/todos/42', '/index.html', '/no-such-file.js', '/.env'])('%s carries every security header', async (path) => {
    const res = await fetch(`${stack.url}${path}`);
    await res.arrayBuffer();
    expect(res.status).toBeLessThan(500);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), name).toBe(value);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-eval');
  });

  it('serves the hashed assets the app shell links to with the same headers', async () => {
    const shell = await (await fetch(`${stack.url}/`)).text();
    const assets = [...shell.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const res = await fetch(`${stack.url}${asset}`);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), `${name} on ${asset}`).toBe(value);
    }
  });
});
