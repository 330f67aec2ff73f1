import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../local/index';
import { canonicalJson, Client, dynamoClient, scanTable, signedIn, watchPool } from '../helpers/probes';
import { startLocalStack } from '../helpers/local-stack';

/**
 * Many users, each with todos whose titles are unique secrets; generated attacks where one user tries
 * every route on another's todo ids. No answer may contain another user's id or secret, and no other
 * user's item may change (read straight from dynalite).
 */
const USERS = 6;
const TODOS_PER_USER = 3;
let stack: Stack;
let db: DynamoDBClient;
const users: Array<{ name: string; client: Client; userId: string; todos: Array<{ id: string; secret: string }> }> = [];

beforeAll(async () => {
  stack = await startLocalStack({ load: true });
  db = dynamoClient(stack);
  for (let u = 0; u < USERS; u++) {
    const name = `tenant-${u}`;
    const client = await signedIn(stack.url, name);
    const userId = (await client.get('/api/currentUser')).json.userid as string;
    const todos = [];
    for (let t = 0; t < TODOS_PER_USER; t++) {
      const secret = `secret-${u}-${t}-${Math.random().toString(36).slice(2)}`;
      const res = await client.send('POST', '/api/todos', { json: { title: secret, description: `${secret}-desc` } });
      todos.push({ id: res.json.id as string, secret });
    }
    users.push({ name, client, userId, todos });
  }
}, 120_000);

afterAll(async () => {
  db?.destroy();
  await stack?.stop();
});

/** Items of everyone but `attacker`, canonical, sorted. */
async function othersItems(attacker: string): Promise<string> {
  const items = await scanTable(db, stack.tableName('rules'));
  return items.filter((i) => i.userId?.S !== attacker).map(canonicalJson).sort().join('\n');
}

type Attack = { method: string; path: string; json?: unknown; headers?: Record<string, string> };

/** Every route, aimed at the victim's todo `id` (or at the victim by name, key or cursor). */
function attacks(id: string, victim: (typeof users)[number], secret: string, variant: number): Attack[] {
  const cursor = Buffer.from(JSON.stringify({ userId: victim.userId, key: '0' })).toString('base64url');
  const versions = [undefined, 1, 2][variant % 3];
  return [
    { method: 'GET', path: `/api/todos/${id}` },
    { method: 'PATCH', path: `/api/todos/${id}`, json: { title: 'owned', completed: true, ...(versions ? { version: versions } : {}) } },
    { method: 'PATCH', path: `/api/todos/${id}`, json: { title: 'owned' }, headers: { 'if-match': '"1"' } },
    { method: 'DELETE', path: `/api/todos/${id}` },
    { method: 'DELETE', path: `/api/todos/${id}`, headers: { 'if-match': '1' } },
    { method: 'PUT', path: '/api/rule', json: { key: id, name: 'owned', status: '2', ...(versions ? { version: versions } : {}) } },
    { method: 'DELETE', path: '/api/rule', json: { key: [id, ...victim.todos.map((t) => t.id)] } },
    { method: 'DELETE', path: '/api/rule', json: { key: id } },
    { method: 'GET', path: `/api/rule?name=${encodeURIComponent(secret)}` },
    { method: 'GET', path: `/api/rule?current=1&pageSize=1000&name=${encodeURIComponent(secret.slice(0, 8))}` },
    { method: 'GET', path: `/api/todos?cursor=${cursor}&limit=10` },
    { method: 'GET', path: `/api/todos?limit=1000` },
    { method: 'DELETE', path: '/api/todos' },
    { method: 'POST', path: '/api/todos', json: { title: 'mine', userId: victim.userId, key: id } },
    { method: 'POST', path: '/api/rule', json: { name: 'mine', userId: victim.userId, key: id } },
    { method: 'GET', path: '/api/currentUser' },
    { method: 'GET', path: '/api/replication' },
  ];
}

describe('per-user isolation', () => {
  it('no user can read or change another user\'s todos through any route', async () => {
    const pool = watchPool(stack);
    const allSecrets = () => users.flatMap((u) => u.todos.map((t) => ({ owner: u.userId, id: t.id, secret: t.secret })));
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: USERS - 1 }),
        fc.integer({ min: 1, max: USERS - 1 }),
        fc.integer({ min: 0, max: TODOS_PER_USER - 1 }),
        fc.nat(),
        async (a, offset, t, variant) => {
          const attacker = users[a]!;
          const victim = users[(a + offset) % USERS]!;
          const target = victim.todos[t]!;
          const before = await othersItems(attacker.userId);
          for (const attack of attacks(target.id, victim, target.secret, variant)) {
            const res = await attacker.client.send(attack.method, attack.path, { ...(attack.json === undefined ? {} : { json: attack.json }), ...(attack.headers ? { headers: attack.headers } : {}) });
            requests++;
            expect(res.status, `${attack.method} ${attack.path}`).toBeLessThan(500);
            // A leak is any trace of another user's todo: its id, its secret title, or its owner id.
            // Echoing what the attacker sent ("No todo <id>") reveals nothing they did not know.
            const sent = `${attack.path} ${JSON.stringify(attack.json ?? '')}`;
            for (const other of allSecrets().filter((s) => s.owner !== attacker.userId)) {
              for (const value of [other.id, other.secret, other.owner].filter((v) => !sent.includes(v))) {
                expect(res.text, `${attack.method} ${attack.path} leaked ${value}`).not.toContain(value);
              }
            }
            if (['GET /api/todos/', 'PATCH /api/todos/', 'DELETE /api/todos/'].some((p) => `${attack.method} ${attack.path}`.startsWith(p))) {
              expect(res.status).toBe(404);
            }
          }
          expect(await othersItems(attacker.userId)).toBe(before);
        },
      ),
      { numRuns: 25, endOnFailure: true },
    );
    pool.stop();
    // Assess: whatever of each user's todos they did not wipe themselves (DELETE /api/todos) is untouched.
    for (const user of users) {
      const mine = (await user.client.get('/api/todos')).json as Array<{ id: string; title: string; version: number }>;
      for (const todo of mine.filter((t) => user.todos.some((o) => o.id === t.id))) {
        expect([todo.title, todo.version]).toEqual([user.todos.find((o) => o.id === todo.id)!.secret, 1]);
      }
    }
    expect(requests).toBeGreaterThan(150);
    expect(pool.describe()).toBe('');
  }, 120_000);
});
