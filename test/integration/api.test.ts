import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../helpers/local-stack';

/**
 * The whole local stack (gateway, function workers running the real bundles, dynalite, kinesalite,
 * CDC and replicator) driven over real HTTP, like a browser or curl would.
 */
let stack: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  stack = await startLocalStack({ env: { SCRYPT_N: '1024', LOG_LEVEL: 'WARN' } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

interface Todo {
  id: string;
  url: string;
  title: string;
  completed: boolean;
  order: number;
  version: number;
  owner: string;
}

interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A user agent with a cookie jar that, like a browser, sends Origin on writes. */
class Client {
  cookie: string | undefined;

  async send<T = unknown>(method: string, path: string, options: { json?: unknown; body?: string; headers?: Record<string, string>; origin?: string | null } = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.json !== undefined) headers['content-type'] ??= 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    if (method !== 'GET' && options.origin !== null) headers.origin = options.origin ?? stack.url;
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers,
      body: options.body ?? (options.json === undefined ? undefined : JSON.stringify(options.json)),
    });
    for (const set of res.headers.getSetCookie()) {
      const pair = set.split(';')[0]!;
      this.cookie = pair.endsWith('=') ? undefined : pair;
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON (static files, empty 204 bodies)
    }
    return { status: res.status, headers: res.headers, body: body as T, text };
  }

  get<T = unknown>(path: string) {
    return this.send<T>('GET', path);
  }
}

async function signedIn(name: string): Promise<Client> {
  const client = new Client();
  const registered = await client.send('POST', '/api/register', { json: { userName: name, password: 'correct horse battery' } });
  expect(registered.status).toBe(201);
  const login = await client.send<{ status: string }>('POST', '/api/login/account', { json: { userName: name, password: 'correct horse battery', type: 'account' } });
  expect(login.body.status).toBe('ok');
  expect(client.cookie).toMatch(/^session=/);
  return client;
}

/** Replicas catch up asynchronously: poll until `check` passes or time runs out. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const errorContract = { error: { code: expect.any(String), message: expect.any(String) } };

describe('noops-todo API on the local stack', () => {
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    alice = await signedIn('alice');
    bob = await signedIn('bob');
  });

  it('serves the web app with security headers', async () => {
    // Prepare
    const client = new Client();

    // Act
    const res = await client.get('/login');

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers the current user', async () => {
    // Prepare
    const anonymous = new Client();

    // Act
    const me = await alice.get<{ name: string; userid: string }>('/api/currentUser');
    const nobody = await anonymous.get('/api/currentUser');

    // Assess
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: 'alice', userid: expect.any(String) });
    expect(nobody.status).toBe(401);
    expect(nobody.body).toEqual(errorContract);
  });

  it('runs the Todo-Backend lifecycle with optimistic concurrency', async () => {
    // Prepare
    const created = await alice.send<Todo>('POST', '/api/todos', { json: { title: 'Buy milk', order: 1 } });
    const id = created.body.id;

    // Act
    const listed = await alice.get<Todo[]>('/api/todos');
    const patched = await alice.send<Todo>('PATCH', `/api/todos/${id}`, { json: { completed: true }, headers: { 'if-match': '1' } });
    const stale = await alice.send('PATCH', `/api/todos/${id}`, { json: { title: 'Lost update' }, headers: { 'if-match': '1' } });
    const fetched = await alice.get<Todo>(new URL(created.body.url).pathname);
    const removed = await alice.send('DELETE', `/api/todos/${id}`);
    const gone = await alice.get(`/api/todos/${id}`);

    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: 'Buy milk', completed: false, order: 1, version: 1, url: `${stack.url}/api/todos/${id}` });
    expect(listed.body.map((t) => t.id)).toContain(id);
    expect(patched.body).toMatchObject({ completed: true, version: 2 });
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual(errorContract);
    expect(fetched.body).toMatchObject({ title: 'Buy milk', version: 2 });
    expect(removed.status).toBe(204);
    expect(gone.status).toBe(404);
  });

  it('pages the collection with a Link header', async () => {
    // Prepare
    const carol = await signedIn('carol');
    for (const title of ['one', 'two', 'three']) await carol.send('POST', '/api/todos', { json: { title } });

    // Act
    const first = await carol.get<Todo[]>('/api/todos?limit=2');
    const next = /<([^>]+)>;\s*rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    const second = await carol.get<Todo[]>(new URL(next!).pathname + new URL(next!).search);

    // Assess
    expect(first.body.map((t) => t.title)).toEqual(['one', 'two']);
    expect(second.body.map((t) => t.title)).toEqual(['three']);
    expect(second.headers.get('link')).toBeNull();
  });

  it('speaks the seed /api/rule contract', async () => {
    // Prepare
    const dave = await signedIn('dave');

    // Act
    const created = await dave.send<{ key: string }>('POST', '/api/rule', { json: { name: 'rule one', desc: 'first', method: 'post' } });
    const key = created.body.key;
    const updated = await dave.send<{ status: number; version: number }>('PUT', '/api/rule', { json: { key, status: '2', method: 'update' } });
    const stale = await dave.send('PUT', '/api/rule', { json: { key, name: 'late', version: 1 } });
    const page = await dave.get<{ data: Array<{ key: string }>; total: number; success: boolean }>('/api/rule?current=1&pageSize=20&status=2&sorter=updatedAt_descend');
    const removed = await dave.send<{ list: unknown[]; pagination: { total: number } }>('DELETE', '/api/rule', { json: { key: [key], method: 'delete' } });

    // Assess
    expect(created.status).toBe(200);
    expect(updated.body).toMatchObject({ status: 2, version: 2 });
    expect(stale.status).toBe(409);
    expect(page.body).toMatchObject({ total: 1, success: true, data: [{ key }] });
    expect(removed.body).toEqual({ list: [], pagination: { total: 0 } });
  });

  it("keeps users apart: bob can neither see nor change alice's todos", async () => {
    // Prepare
    const secret = (await alice.send<Todo>('POST', '/api/todos', { json: { title: 'alice only' } })).body;

    // Act
    const read = await bob.get(`/api/todos/${secret.id}`);
    const patch = await bob.send('PATCH', `/api/todos/${secret.id}`, { json: { title: 'pwned' } });
    const remove = await bob.send('DELETE', `/api/todos/${secret.id}`);
    const put = await bob.send('PUT', '/api/rule', { json: { key: secret.id, name: 'pwned' } });
    const wipe = await bob.send('DELETE', '/api/todos');
    const bobs = await bob.get<Todo[]>('/api/todos');
    const still = await alice.get<Todo>(`/api/todos/${secret.id}`);

    // Assess
    expect([read.status, patch.status, remove.status, put.status]).toEqual([404, 404, 404, 404]);
    expect(wipe.status).toBe(204);
    expect(bobs.body).toEqual([]);
    expect(still.body).toMatchObject({ title: 'alice only', version: 1 });
  });

  it('fills notifyCount from the rules replica once it catches up', async () => {
    // Prepare
    const erin = await signedIn('erin');
    await erin.send('POST', '/api/todos', { json: { title: 'open' } });
    await erin.send('POST', '/api/todos', { json: { title: 'done', completed: true } });

    // Act
    let counts: unknown;
    await eventually(async () => {
      counts = (await erin.get<{ notifyCount: number; unreadCount: number }>('/api/currentUser')).body;
      return (counts as { unreadCount: number }).unreadCount === 2;
    });

    // Assess
    expect(counts).toMatchObject({ notifyCount: 1, unreadCount: 2 });
  });

  it('refuses cookie writes from other sites but accepts bearer tokens', async () => {
    // Prepare
    const token = alice.cookie!.split('=')[1]!;
    const api = new Client();

    // Act
    const noOrigin = await alice.send('POST', '/api/todos', { json: { title: 'csrf' }, origin: null });
    const evil = await alice.send('POST', '/api/todos', { json: { title: 'csrf' }, origin: 'https://evil.example' });
    const bearer = await api.send('POST', '/api/todos', { json: { title: 'from a script' }, origin: null, headers: { authorization: `Bearer ${token}` } });

    // Assess
    expect(noOrigin.status).toBe(403);
    expect(evil.status).toBe(403);
    expect(evil.body).toEqual(errorContract);
    expect(bearer.status).toBe(201);
  });

  it.each<[string, { body?: string; json?: unknown; headers?: Record<string, string> }, number]>([
    ['malformed JSON', { body: '{"title":', headers: { 'content-type': 'application/json' } }, 400],
    ['a wrong content type', { body: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
    ['an oversized body', { json: { title: 'x'.repeat(70_000) } }, 413],
    ['wrong types', { json: { title: 42, completed: 'yes' } }, 400],
    ['missing fields', { json: { completed: true } }, 400],
  ])('rejects %s with the error contract and stores nothing', async (_name, request, status) => {
    // Prepare
    const before = (await alice.get<Todo[]>('/api/todos')).body.length;

    // Act
    const res = await alice.send('POST', '/api/todos', request);

    // Assess
    expect(res.status).toBe(status);
    expect(res.body).toEqual(errorContract);
    expect((await alice.get<Todo[]>('/api/todos')).body.length).toBe(before);
  });

  it('answers unknown API routes and methods with the error contract', async () => {
    // Prepare
    const paths: Array<[string, string]> = [
      ['GET', '/api/nothing'],
      ['PUT', '/api/todos'],
    ];

    // Act
    const results = await Promise.all(paths.map(([method, path]) => alice.send(method, path, method === 'GET' ? {} : { json: {} })));

    // Assess
    for (const res of results) {
      expect([404, 405]).toContain(res.status);
      expect(res.body).toEqual(errorContract);
    }
  });

  it('signs out everywhere: older sessions die in both services', async () => {
    // Prepare
    const frank = await signedIn('frank');
    const laptop = new Client();
    await laptop.send('POST', '/api/login/account', { json: { userName: 'frank', password: 'correct horse battery' } });
    await eventually(async () => (await laptop.get('/api/todos')).status === 200);

    // Act
    const out = await frank.send('POST', '/api/login/outLogin', { json: { everywhere: true } });

    // Assess
    expect(out.status).toBe(200);
    expect(frank.cookie).toBeUndefined();
    expect((await laptop.get('/api/currentUser')).status).toBe(401);
    await eventually(async () => (await laptop.get('/api/todos')).status === 401);
  });

  // Last: it locks the loopback address out of logins.
  it('answers wrong passwords like unknown users, then locks out with 429', async () => {
    // Prepare
    const client = new Client();
    const attempt = (userName: string) => client.send<{ status: string }>('POST', '/api/login/account', { json: { userName, password: 'wrong password', type: 'account' } });

    // Act
    const wrong = await attempt('alice');
    const unknown = await attempt('no-such-user');
    for (let i = 0; i < 3; i++) await attempt('alice');
    const locked = await attempt('alice');

    // Assess
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.status).toBe('error');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body).toEqual(errorContract);
  });
});
