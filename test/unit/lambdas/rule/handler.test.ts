import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bodyOf, httpEvent, sessionClaims, sessionKeys, sessionTokenFor, type HttpEventOptions, type SessionKeys } from '../../../helpers/factories';
import { startDynalite, type TestDynamo } from '../../../helpers/dynalite';
import { startEdgeSecrets } from '../../../helpers/edge';
import type { SecretsManager } from '../../../helpers/secrets-manager';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
interface TodoBody {
  id: string;
  url: string;
  title: string;
  completed: boolean;
  version: number;
  owner: string;
  status: number;
}

let dynamo: TestDynamo;
let secrets: SecretsManager;
let keys: SessionKeys;
let handler: Handler;
const alice = sessionClaims({ userName: 'Alice' });
const bob = sessionClaims({ userName: 'Bob' });
const tokens = new Map<string, string>();

beforeAll(async () => {
  dynamo = await startDynalite();
  secrets = await startEdgeSecrets();
  keys = await sessionKeys();
  Object.assign(process.env, {
    RULES_TABLE: dynamo.tableNames.rules,
    USERS_REPLICA_TABLE: dynamo.tableNames['users-replica-for-rule'],
    SESSION_PUBLIC_KEYS: JSON.stringify({ keys: [keys.publicJwk] }),
    CORS_ALLOWED_ORIGINS: 'https://admin.example.com',
    LOG_LEVEL: 'SILENT',
  });
  for (const claims of [alice, bob]) tokens.set(claims.userId, await sessionTokenFor(keys, claims));
  ({ handler } = (await import('../../../../lambdas/rule/handler')) as { handler: Handler });
});

afterAll(async () => {
  await secrets?.stop();
  await dynamo?.stop();
});

/** A request with the caller's bearer token; the path is derived from the route key. */
function as(claims: typeof alice | undefined, routeKey: string, options: HttpEventOptions = {}) {
  const id = options.pathParameters?.id;
  const path = options.path ?? routeKey.split(' ')[1]!.replace('{id}', id ?? '');
  const headers = { ...(claims ? { authorization: `Bearer ${tokens.get(claims.userId)}` } : {}), ...options.headers };
  return handler(httpEvent({ ...options, routeKey, path, headers }));
}

async function create(claims: typeof alice, title: string, extra: object = {}): Promise<TodoBody> {
  const res = await as(claims, 'POST /api/todos', { body: { title, ...extra } });
  expect(res.statusCode).toBe(201);
  return bodyOf<TodoBody>(res);
}

async function countItems(userId: string): Promise<number> {
  const { Items } = await dynamo.documentClient.send(
    new QueryCommand({ TableName: dynamo.tableNames.rules, KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': userId } }),
  );
  return Items?.length ?? 0;
}

describe('sessions', () => {
  it('refuses requests without a valid session', async () => {
    // Prepare
    const forged = await sessionTokenFor(await sessionKeys(), alice);

    // Act
    const none = await as(undefined, 'GET /api/todos');
    const wrongKey = await as(undefined, 'GET /api/todos', { headers: { authorization: `Bearer ${forged}` } });

    // Assess
    expect(none.statusCode).toBe(401);
    expect(bodyOf(none)).toEqual({ error: { code: 'Unauthorized', message: expect.any(String) } });
    expect(wrongKey.statusCode).toBe(401);
  });

  it('refuses a token older than the replicated session version', async () => {
    // Prepare
    const carol = sessionClaims({ userName: 'Carol', sessionVersion: 1 });
    const item = { userName: 'carol', userId: carol.userId, displayName: 'Carol', sessionVersion: 2, version: 2 };
    await dynamo.documentClient.send(new PutCommand({ TableName: dynamo.tableNames['users-replica-for-rule'], Item: item }));
    const stale = await sessionTokenFor(keys, carol);
    const fresh = await sessionTokenFor(keys, { ...carol, sessionVersion: 2 });

    // Act
    const refused = await as(undefined, 'GET /api/todos', { headers: { authorization: `Bearer ${stale}` } });
    const accepted = await as(undefined, 'GET /api/todos', { headers: { authorization: `Bearer ${fresh}` } });

    // Assess
    expect(refused.statusCode).toBe(401);
    expect(bodyOf(refused)).toMatchObject({ error: { code: 'SessionRevoked' } });
    expect(accepted.statusCode).toBe(200);
  });
});

describe('Todo-Backend resource API', () => {
  it('creates a todo with an absolute url and reads it back', async () => {
    // Prepare
    const body = { title: 'Walk the dog', order: 4, description: 'twice', extra: 'ignored' };

    // Act
    const res = await as(alice, 'POST /api/todos', { body });
    const created = bodyOf<TodoBody>(res);
    const fetched = await as(alice, 'GET /api/todos/{id}', { pathParameters: { id: created.id } });

    // Assess
    expect(res.headers?.location).toBe(`https://todo.example.com/api/todos/${created.id}`);
    expect(created).toMatchObject({ title: 'Walk the dog', completed: false, order: 4, description: 'twice', version: 1, owner: 'Alice' });
    expect(created.url).toBe(res.headers?.location);
    expect(created).not.toHaveProperty('extra');
    expect(fetched.statusCode).toBe(200);
    expect(fetched.headers?.etag).toBe('"1"');
    expect(bodyOf(fetched)).toEqual(created);
  });

  it('fills owner from the users replica and lets PUBLIC_BASE_URL, read at cold start, set the url', async () => {
    // Prepare
    const dora = sessionClaims({ userName: 'Dora' });
    tokens.set(dora.userId, await sessionTokenFor(keys, dora));
    const replicaItem = { userName: 'dora', userId: dora.userId, displayName: 'Dora the Explorer', sessionVersion: 1, version: 1 };
    await dynamo.documentClient.send(new PutCommand({ TableName: dynamo.tableNames['users-replica-for-rule'], Item: replicaItem }));
    vi.resetModules();
    process.env.PUBLIC_BASE_URL = 'https://d123.cloudfront.net/';
    const coldStarted = ((await import('../../../../lambdas/rule/handler')) as { handler: Handler }).handler;
    delete process.env.PUBLIC_BASE_URL;
    const event = httpEvent({ routeKey: 'POST /api/todos', path: '/api/todos', body: { title: 'Map the cave' }, headers: { authorization: `Bearer ${tokens.get(dora.userId)}` } });

    // Act
    const created = bodyOf<TodoBody>(await coldStarted(event));
    const afterColdStart = await create(dora, 'Map the river');
    process.env.PUBLIC_BASE_URL = 'https://changed-later.example/';
    const changedLater = await create(dora, 'Map the hills').finally(() => delete process.env.PUBLIC_BASE_URL);

    // Assess
    expect(created.owner).toBe('Dora the Explorer');
    expect(created.url).toBe(`https://d123.cloudfront.net/api/todos/${created.id}`);
    // The instance started without it keeps the caller's host: the environment is not read per request.
    expect(afterColdStart.url).toBe(`https://todo.example.com/api/todos/${afterColdStart.id}`);
    expect(changedLater.url).toBe(`https://todo.example.com/api/todos/${changedLater.id}`);
  });

  it('patches with If-Match and answers 409 on a stale version', async () => {
    // Prepare
    const created = await create(alice, 'Paint the fence');

    // Act
    const first = await as(alice, 'PATCH /api/todos/{id}', { pathParameters: { id: created.id }, body: { completed: true }, headers: { 'if-match': '"1"' } });
    const stale = await as(alice, 'PATCH /api/todos/{id}', { pathParameters: { id: created.id }, body: { title: 'Lost update' }, headers: { 'if-match': '1' } });
    const staleDelete = await as(alice, 'DELETE /api/todos/{id}', { pathParameters: { id: created.id }, headers: { 'if-match': '1' } });

    // Assess
    expect(first.statusCode).toBe(200);
    expect(bodyOf(first)).toMatchObject({ completed: true, status: 2, version: 2 });
    expect(stale.statusCode).toBe(409);
    expect(bodyOf(stale)).toMatchObject({ error: { code: 'VersionConflict' } });
    expect(staleDelete.statusCode).toBe(409);
  });

  it('deletes one todo, then answers 404 for it', async () => {
    // Prepare
    const created = await create(alice, 'Temporary');

    // Act
    const removed = await as(alice, 'DELETE /api/todos/{id}', { pathParameters: { id: created.id } });
    const again = await as(alice, 'GET /api/todos/{id}', { pathParameters: { id: created.id } });

    // Assess
    expect(removed.statusCode).toBe(204);
    expect(again.statusCode).toBe(404);
  });

  it('pages with limit and a Link cursor, optionally filtered by completed', async () => {
    // Prepare
    const erin = sessionClaims({ userName: 'Erin' });
    tokens.set(erin.userId, await sessionTokenFor(keys, erin));
    for (let i = 0; i < 5; i++) await create(erin, `item ${i}`, { completed: i % 2 === 0 });

    // Act
    const seen: string[] = [];
    let query: Record<string, string> | undefined = { limit: '2' };
    let pages = 0;
    while (query) {
      const res = await as(erin, 'GET /api/todos', { query });
      seen.push(...bodyOf<TodoBody[]>(res).map((t) => t.title));
      pages++;
      const link = res.headers?.link as string | undefined;
      query = link ? Object.fromEntries(new URL(/<([^>]+)>/.exec(link)![1]!).searchParams) : undefined;
    }
    const done = bodyOf<TodoBody[]>(await as(erin, 'GET /api/todos', { query: { completed: 'true', limit: '2' } }));
    const open = bodyOf<TodoBody[]>(await as(erin, 'GET /api/todos', { query: { completed: 'false' } }));

    // Assess
    expect(seen).toEqual(['item 0', 'item 1', 'item 2', 'item 3', 'item 4']);
    expect(pages).toBe(3);
    expect(done.map((t) => t.title)).toEqual(['item 0', 'item 2']);
    expect(open.map((t) => t.title)).toEqual(['item 1', 'item 3']);
  });

  it("refuses another user's cursor", async () => {
    // Prepare
    const res = await as(alice, 'GET /api/todos', { query: { limit: '1' } });
    const cursor = new URL(/<([^>]+)>/.exec(String(res.headers?.link))![1]!).searchParams.get('cursor')!;

    // Act
    const stolen = await as(bob, 'GET /api/todos', { query: { limit: '1', cursor } });

    // Assess
    expect(stolen.statusCode).toBe(400);
    expect(bodyOf(stolen)).toMatchObject({ error: { code: 'InvalidCursor' } });
  });

  it("DELETE /api/todos removes all of the caller's todos in batches, and only theirs", async () => {
    // Prepare
    const frank = sessionClaims({ userName: 'Frank' });
    tokens.set(frank.userId, await sessionTokenFor(keys, frank));
    await Promise.all(Array.from({ length: 60 }, (_, i) => create(frank, `chore ${i}`)));
    const aliceBefore = await countItems(alice.userId);

    // Act
    const res = await as(frank, 'DELETE /api/todos');

    // Assess
    expect(res.statusCode).toBe(204);
    expect(await countItems(frank.userId)).toBe(0);
    expect(await countItems(alice.userId)).toBe(aliceBefore);
  });
});

describe('seed /api/rule contract', () => {
  it('creates, lists with filters, updates with a status string and bulk-deletes', async () => {
    // Prepare
    const gina = sessionClaims({ userName: 'Gina' });
    tokens.set(gina.userId, await sessionTokenFor(keys, gina));

    // Act
    const a = bodyOf<{ key: string }>(await as(gina, 'POST /api/rule', { body: { name: 'alpha', desc: 'first', method: 'post' } }));
    const b = bodyOf<{ key: string }>(await as(gina, 'POST /api/rule', { body: { name: 'beta', desc: 'second', method: 'post' } }));
    const updated = await as(gina, 'PUT /api/rule', { body: { key: b.key, status: '2', desc: 'done', method: 'update' } });
    const doneOnly = await as(gina, 'GET /api/rule', { query: { current: '1', pageSize: '10', status: '2', sorter: 'name_descend' } });
    const removed = await as(gina, 'DELETE /api/rule', { body: { key: [a.key], method: 'delete' } });

    // Assess
    expect(bodyOf(updated)).toMatchObject({ key: b.key, name: 'beta', status: 2, desc: 'done', version: 2, owner: 'Gina' });
    expect(bodyOf(doneOnly)).toMatchObject({ total: 1, success: true, current: 1, pageSize: 10, data: [{ key: b.key }] });
    expect(bodyOf(removed)).toEqual({ list: [expect.objectContaining({ key: b.key })], pagination: { total: 1 } });
  });

  it('answers 409 to a PUT carrying a stale version', async () => {
    // Prepare
    const rule = bodyOf<{ key: string }>(await as(alice, 'POST /api/rule', { body: { name: 'versioned' } }));
    await as(alice, 'PUT /api/rule', { body: { key: rule.key, name: 'v2', version: 1 } });

    // Act
    const res = await as(alice, 'PUT /api/rule', { body: { key: rule.key, name: 'v3', version: 1 } });

    // Assess
    expect(res.statusCode).toBe(409);
  });
});

describe('isolation', () => {
  it("gives another user 404 on every todo route and changes nothing", async () => {
    // Prepare
    const secret = await create(alice, 'Alice only');
    const id = { pathParameters: { id: secret.id } };

    // Act
    const results = await Promise.all([
      as(bob, 'GET /api/todos/{id}', id),
      as(bob, 'PATCH /api/todos/{id}', { ...id, body: { title: 'pwned' } }),
      as(bob, 'DELETE /api/todos/{id}', id),
      as(bob, 'PUT /api/rule', { body: { key: secret.id, name: 'pwned' } }),
    ]);
    const bulk = await as(bob, 'DELETE /api/rule', { body: { key: [secret.id] } });
    const bobList = bodyOf<TodoBody[]>(await as(bob, 'GET /api/todos'));

    // Assess
    expect(results.map((r) => r.statusCode)).toEqual([404, 404, 404, 404]);
    expect(bodyOf(bulk)).toEqual({ list: [], pagination: { total: 0 } });
    expect(bobList).toEqual([]);
    expect(bodyOf(await as(alice, 'GET /api/todos/{id}', id))).toEqual(secret);
  });
});

describe('CSRF', () => {
  const cookie = () => [`__Host-session=${tokens.get(alice.userId)}`];
  const post = (headers: Record<string, string>) =>
    handler(httpEvent({ routeKey: 'POST /api/todos', path: '/api/todos', cookies: cookie(), body: { title: 'csrf' }, headers }));

  it('refuses cookie-authenticated writes from elsewhere', async () => {
    // Prepare
    const before = await countItems(alice.userId);

    // Act
    const noOrigin = await post({});
    const evil = await post({ origin: 'https://evil.example' });
    const crossSite = await post({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
    const nullOrigin = await post({ origin: 'null' });

    // Assess
    expect([noOrigin, evil, crossSite, nullOrigin].map((r) => r.statusCode)).toEqual([403, 403, 403, 403]);
    expect(bodyOf(evil)).toMatchObject({ error: { code: 'CrossSiteRequest' } });
    expect(await countItems(alice.userId)).toBe(before);
  });

  it('accepts the own origin, Sec-Fetch-Site same-origin, listed CORS origins, reads and bearer tokens', async () => {
    // Prepare
    const read = httpEvent({ routeKey: 'GET /api/todos', path: '/api/todos', cookies: cookie() });

    // Act
    const own = await post({ origin: 'https://todo.example.com' });
    const fetchSite = await post({ 'sec-fetch-site': 'same-origin' });
    const listed = await post({ origin: 'https://admin.example.com' });
    const get = await handler(read);
    const bearer = await as(alice, 'POST /api/todos', { body: { title: 'api client' } });

    // Assess
    expect([own, fetchSite, listed, get, bearer].map((r) => r.statusCode)).toEqual([201, 201, 201, 200, 201]);
  });
});

describe('bad input', () => {
  it.each<[string, HttpEventOptions, number, string]>([
    ['malformed JSON', { body: '{"title": ', headers: { 'content-type': 'application/json' } }, 400, 'InvalidJson'],
    ['wrong content type', { body: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'UnsupportedMediaType'],
    ['oversized body', { body: { title: 'x', description: 'y'.repeat(70_000) } }, 413, 'PayloadTooLarge'],
    ['wrong types', { body: { title: ['x'], completed: 'no' } }, 400, 'ValidationError'],
    ['missing fields', { body: {} }, 400, 'ValidationError'],
    ['a JSON array', { body: [] }, 400, 'ValidationError'],
    ['invalid UTF-8', { body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), isBase64Encoded: true, headers: { 'content-type': 'application/json' } }, 400, 'InvalidEncoding'],
  ])('answers %s with the error contract and writes nothing', async (_name, options, status, code) => {
    // Prepare
    const before = await countItems(alice.userId);

    // Act
    const res = await as(alice, 'POST /api/todos', options);

    // Assess
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res)).toEqual({ error: { code, message: expect.any(String) } });
    expect(await countItems(alice.userId)).toBe(before);
  });

  it('names the offending fields', async () => {
    // Prepare
    const body = { title: 7, order: 'first' };

    // Act
    const res = await as(alice, 'POST /api/todos', { body });

    // Assess
    expect(bodyOf<{ error: { message: string } }>(res).error.message).toMatch(/title.*order/);
  });

  it('answers 404 for junk ids and 400 for a junk If-Match or query', async () => {
    // Prepare
    const junk = { pathParameters: { id: '../../etc/passwd' } };

    // Act
    const notFound = await as(alice, 'GET /api/todos/{id}', junk);
    const badIfMatch = await as(alice, 'DELETE /api/todos/{id}', { pathParameters: { id: '0190a6d2-0000-7000-8000-000000000000' }, headers: { 'if-match': 'yesterday' } });
    const badQuery = await as(alice, 'GET /api/rule', { query: { pageSize: '-1' } });

    // Assess
    expect(notFound.statusCode).toBe(404);
    expect(badIfMatch.statusCode).toBe(400);
    expect(badQuery.statusCode).toBe(400);
    expect(bodyOf<{ error: { message: string } }>(badQuery).error.message).toMatch(/pageSize/);
  });

  it('answers 405 for a known path with another method', async () => {
    // Prepare
    const event = httpEvent({ routeKey: 'PUT /api/todos', path: '/api/todos', method: 'PUT' });

    // Act
    const res = await handler(event);

    // Assess
    expect(res.statusCode).toBe(405);
  });
});

describe('unexpected failures', () => {
  it('answers 500 without internals and with the request id', async () => {
    // Prepare
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint });
    await client.send(new DeleteTableCommand({ TableName: dynamo.tableNames.rules }));
    client.destroy();
    const event = httpEvent({ routeKey: 'GET /api/todos', path: '/api/todos', headers: { authorization: `Bearer ${tokens.get(alice.userId)}` } });

    // Act
    const res = await handler(event);

    // Assess
    expect(res.statusCode).toBe(500);
    expect(bodyOf(res)).toEqual({ error: { code: 'InternalError', message: 'Internal server error' } });
    expect(res.headers?.['x-request-id']).toBe(event.requestContext.requestId);
  });
});
