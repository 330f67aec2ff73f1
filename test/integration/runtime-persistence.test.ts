import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const env = { SCRYPT_N: '1024' };
const json = { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' };

async function login(stack: LocalStack, userName: string, password: string): Promise<Response> {
  return fetch(`${stack.url}/api/login/account`, { method: 'POST', headers: json, body: JSON.stringify({ userName, password, type: 'account' }) });
}

describe('a persisted stack (the real functions, a data dir on disk)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'noops-todo-stack-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('keeps tables, users, todos and the session key across a stop and a start', async () => {
    // Prepare: a user with a todo, and an item written straight through the DynamoDB API.
    const first = await startLocalStack({ dataDir, env });
    let cookie: string;
    try {
      const registered = await fetch(`${first.url}/api/register`, { method: 'POST', headers: json, body: JSON.stringify({ userName: 'persisted', password: 'correct-Horse-9' }) });
      expect(registered.status).toBe(201);
      const loggedIn = await login(first, 'persisted', 'correct-Horse-9');
      expect(loggedIn.status).toBe(200);
      cookie = loggedIn.headers.getSetCookie()[0]?.split(';')[0] ?? '';
      const created = await fetch(`${first.url}/api/todos`, { method: 'POST', headers: { ...json, cookie }, body: JSON.stringify({ title: 'survive a restart' }) });
      expect(created.status).toBe(201);
      const dynamo = new DynamoDBClient({ endpoint: first.dynamoEndpoint, region: 'us-east-1', credentials });
      await dynamo.send(new PutItemCommand({ TableName: first.tableName('replication-state'), Item: { replica: { S: 'probe' }, shardId: { S: 'shard-0' } } }));
      dynamo.destroy();
    } finally {
      await first.stop();
    }

    // Act
    const second = await startLocalStack({ dataDir, env });
    try {
      // Assess: the old session still verifies (same key pair), the todo and the raw item are there.
      const todos = await fetch(`${second.url}/api/todos`, { headers: { cookie } });
      expect(todos.status).toBe(200);
      expect(((await todos.json()) as Array<{ title: string }>).map((t) => t.title)).toEqual(['survive a restart']);
      expect((await login(second, 'persisted', 'correct-Horse-9')).status).toBe(200);
      const dynamo = new DynamoDBClient({ endpoint: second.dynamoEndpoint, region: 'us-east-1', credentials });
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: 'replication-state', Key: { replica: { S: 'probe' }, shardId: { S: 'shard-0' } } }));
      dynamo.destroy();
      expect(Item).toBeDefined();
    } finally {
      await second.stop();
    }
    const keys = await stat(path.join(dataDir, 'keys.json'));
    expect(keys.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path.join(dataDir, 'keys.json'), 'utf8')).publicJwks[0].kid).toMatch(/^local-/);
    // Two stacks and four cold starts of the real bundles: allow for a loaded CI machine.
  }, 120_000);

  it('keeps nothing on disk in memory mode', async () => {
    const stack = await startLocalStack();
    try {
      expect(stack.dataDir).toBeUndefined();
    } finally {
      await stack.stop();
    }
  });
});
