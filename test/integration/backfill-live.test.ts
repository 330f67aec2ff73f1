import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill, compare, namedReplicaFeed, scanAll } from '../../scripts/replicas/sync';
import { replicas } from '../../topology/index';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';
import { ApiClient } from './replication-api-client';

let stack: LocalStack;
let db: DynamoDBClient;
beforeAll(async () => {
  stack = await startLocalStack({ env: { SCRYPT_N: '1024', LOG_LEVEL: 'ERROR' } });
  db = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
}, 60_000);
afterAll(async () => {
  db?.destroy();
  await stack?.stop();
});

describe('backfill on a running stack', () => {
  it('under concurrent creates, renames and deletes ends with verify clean and no deleted todo resurrected', async () => {
    // Prepare: 200 todos, then the replica emptied (as a new replica starts)
    const api = new ApiClient(stack.url);
    await api.signUp('backfill-live');
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push((await api.request('POST', '/api/todos', { title: `todo ${i}` })).json.id);
    expect(await stack.replication.waitIdle(20_000)).toBe(true);
    const pair = namedReplicaFeed(replicas.find((r) => r.name === 'rules-replica-for-user')!, (logical) => stack.tableName(logical as never), stack.tableName('replication-state'));
    for await (const page of scanAll(db, pair.replica)) for (const row of page) await db.send(new DeleteItemCommand({ TableName: pair.replica, Key: { userId: row.userId!, key: row.key! } }));
    // Act: backfill while the API creates, renames and deletes
    const deleted: string[] = [];
    const churn = (async () => {
      for (let i = 0; i < 60; i++) {
        const victim = ids[i]!;
        await api.request('PATCH', `/api/todos/${ids[100 + i]}`, { title: `renamed ${i}` });
        await api.request('DELETE', `/api/todos/${victim}`);
        deleted.push(victim);
        ids.push((await api.request('POST', '/api/todos', { title: `new ${i}` })).json.id);
      }
    })();
    const result = await backfill(db, pair);
    await churn;
    expect(await stack.replication.waitIdle(20_000)).toBe(true);
    // Assess
    const rows = new Map<string, Record<string, any>>();
    for await (const page of scanAll(db, pair.replica)) for (const row of page) rows.set(row.key!.S!, row);
    expect(result.scanned).toBeGreaterThanOrEqual(200);
    expect(await compare(db, pair)).toEqual([]);
    expect(deleted).toHaveLength(60);
    expect(deleted.filter((id) => rows.get(id) && rows.get(id)!._deleted?.BOOL !== true)).toEqual([]);
  }, 180_000);
});
