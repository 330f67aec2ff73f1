import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A few requests a user makes, against any deployment: SMOKE_BASE_URL (CI sets the deployed site's URL
 * after each `pulumi up` + release), or else a local stack started here, so `npm test` runs the same
 * suite locally. Each run signs up its own user and removes the todos it creates.
 */
const remote = process.env.SMOKE_BASE_URL?.replace(/\/+$/, '');
let base: string;
let local: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  if (remote) {
    base = remote;
    return;
  }
  const { startLocalStack } = await import('../helpers/local-stack');
  const stack = await startLocalStack({ env: { SCRYPT_N: '1024', LOG_LEVEL: 'WARN' } });
  local = stack;
  base = stack.url;
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

/** A browser-like agent: keeps the session cookie, sends Origin on writes, gives up after 10 s. */
class Agent {
  private cookie: string | undefined;

  async send(method: string, path: string, json?: unknown): Promise<{ status: number; type: string; body: any }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (json !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers.origin = base;
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(`${base}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json), signal: AbortSignal.timeout(10_000) });
    for (const set of res.headers.getSetCookie()) this.cookie = set.split(';')[0];
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // HTML or an empty body
    }
    return { status: res.status, type: res.headers.get('content-type') ?? '', body };
  }
}

describe(`smoke test of ${remote ?? 'a local stack'}`, () => {
  const agent = new Agent();
  const userName = `smoke-${randomUUID().slice(0, 8)}`;

  it('serves the web app', async () => {
    const page = await agent.send('GET', '/');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(String(page.body).toLowerCase()).toContain('<!doctype html>');
  });

  it('answers an anonymous API call with a JSON 401', async () => {
    const answer = await agent.send('GET', '/api/todos');
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it('signs a new user up and in', async () => {
    expect((await agent.send('POST', '/api/register', { userName, password: 'correct horse battery' })).status).toBe(201);
    const login = await agent.send('POST', '/api/login/account', { userName, password: 'correct horse battery', type: 'account' });
    expect(login.body.status).toBe('ok');
    expect((await agent.send('GET', '/api/currentUser')).body.name).toBe(userName);
  });

  it('creates, completes and deletes a todo', async () => {
    const created = await agent.send('POST', '/api/todos', { title: 'smoke test' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await agent.send('GET', '/api/todos')).body.map((t: { id: string }) => t.id)).toContain(id);
    expect((await agent.send('PATCH', `/api/todos/${id}`, { completed: true })).body).toMatchObject({ id, completed: true, version: 2 });
    expect((await agent.send('DELETE', `/api/todos/${id}`)).status).toBe(204);
    expect((await agent.send('GET', `/api/todos/${id}`)).status).toBe(404);
  });

  it('reports replication status', async () => {
    const status = await agent.send('GET', '/api/replication');
    expect(status.status).toBe(200);
    expect(status.type).toContain('application/json');
  });
});
