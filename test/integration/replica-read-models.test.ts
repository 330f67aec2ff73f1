import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanAll } from '../../scripts/replicas/sync';
import { replicas, tableSpec, TOMBSTONE_ATTRIBUTE, TOMBSTONE_TTL_ATTRIBUTE, VERSION_ATTRIBUTE, type ReplicaSpec } from '../../topology/index';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';
import { ApiClient } from './replication-api-client';

let stack: LocalStack;
let db: DynamoDBClient;
beforeAll(async () => {
  stack = await startLocalStack();
  db = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
});
afterAll(async () => {
  db?.destroy();
  await stack?.stop();
});

/** Every row of a replica, read straight from dynalite (not through any service). */
async function rowsOf(replica: ReplicaSpec) {
  const rows = [];
  for await (const page of scanAll(db, stack.tableName(replica.name))) rows.push(...page);
  return rows;
}

function allowedAttributes(replica: ReplicaSpec): Set<string> {
  const source = tableSpec(replica.source);
  const keys = [source.hashKey.name, ...(source.rangeKey ? [source.rangeKey.name] : [])];
  return new Set([...keys, VERSION_ATTRIBUTE, TOMBSTONE_ATTRIBUTE, TOMBSTONE_TTL_ATTRIBUTE, ...Object.keys(replica.readModel)]);
}

describe('replica read models on the local stack', () => {
  it('after a register and todo writes, no replica holds an attribute outside its read model and the bookkeeping', async () => {
    // Prepare
    const api = new ApiClient(stack.url);
    const password = 'correct horse battery staple';
    expect((await api.request('POST', '/api/register', { userName: 'Read-Model-Probe', password, email: 'probe@example.com' })).status).toBeLessThan(300);
    expect((await api.request('POST', '/api/login/account', { userName: 'Read-Model-Probe', password, type: 'account' })).json.status).toBe('ok');
    // Act
    const kept = await api.request('POST', '/api/todos', { title: 'secret plans', description: 'nobody else reads this' });
    expect((await api.request('PATCH', `/api/todos/${kept.json.id}`, { completed: true })).status).toBe(200);
    const dropped = await api.request('POST', '/api/todos', { title: 'short-lived' });
    expect((await api.request('DELETE', `/api/todos/${dropped.json.id}`)).status).toBe(204);
    expect(await stack.replication.waitIdle(15_000)).toBe(true);
    // Assess
    const owned = (await db.send(new GetItemCommand({ TableName: stack.tableName('users'), Key: { userName: { S: 'read-model-probe' } } }))).Item!;
    expect(owned.passwordHash?.S).toEqual(expect.any(String));
    expect(owned.email?.S).toBe('probe@example.com');
    for (const replica of replicas) {
      const rows = await rowsOf(replica);
      const allowed = allowedAttributes(replica);
      expect(rows.length, replica.name).toBeGreaterThan(0);
      for (const row of rows) expect(Object.keys(row).filter((name) => !allowed.has(name)), `${replica.name} ${JSON.stringify(row)}`).toEqual([]);
      const text = JSON.stringify(rows);
      expect(text).not.toContain(owned.passwordHash!.S!);
      expect(text).not.toContain('probe@example.com');
    }
    const [user] = (await rowsOf(replicas.find((r) => r.name === 'users-replica-for-rule')!)).filter((row) => row.userName?.S === 'read-model-probe');
    expect(user).toEqual({ userName: { S: 'read-model-probe' }, userId: owned.userId, displayName: { S: 'Read-Model-Probe' }, sessionVersion: owned.sessionVersion, version: owned.version });
    const todos = (await rowsOf(replicas.find((r) => r.name === 'rules-replica-for-user')!)).filter((row) => row.key?.S === kept.json.id);
    expect(todos).toEqual([{ userId: owned.userId, key: { S: kept.json.id }, status: { N: '2' }, version: { N: '2' } }]);
  }, 60_000);

  it('GET /api/replication reads no replica: no Scan (nor any other call) reaches DynamoDB but one Query of the state table per replica', async () => {
    // Prepare
    const api = new ApiClient(stack.url);
    await api.signUp('status-probe');
    await api.request('POST', '/api/todos', { title: 'counted' });
    expect(await stack.replication.waitIdle(15_000)).toBe(true);
    const before = stack.changeCapture.stats().operations;
    // Act
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await api.request('GET', '/api/replication'));
    // Assess
    const after = stack.changeCapture.stats().operations;
    const during = Object.fromEntries(Object.keys(after).map((op) => [op, after[op]! - (before[op] ?? 0)]).filter(([, n]) => n !== 0));
    expect(during).toEqual({ Query: 3 * replicas.length });
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    // The recorded counts are the replicas' real contents.
    for (const replica of replicas) {
      const rows = await rowsOf(replica);
      const status = answers[2]!.json.replicas.find((r: { name: string }) => r.name === stack.tableName(replica.name));
      expect(status, replica.name).toMatchObject({ items: rows.filter((r) => !r._deleted).length, tombstones: rows.filter((r) => r._deleted).length });
    }
  }, 60_000);
});
