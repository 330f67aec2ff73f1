import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyOrder } from '../../bench/lib/key-order';
import type { Stack } from '../../local/index';
import { compare, namedReplicaFeed, type Difference } from '../../scripts/replicas/sync';
import { replicas } from '../../topology/index';
import { startLocalStack } from '../helpers/local-stack';
import { ApiClient } from './replication-api-client';

const order = new KeyOrder();
let stack: Stack;
let db: DynamoDBClient;
beforeAll(async () => {
  stack = await startLocalStack({ load: true, changeConsumer: { parallelizationFactor: 4, batchSize: 10 }, observeReplication: (event) => order.seeEvent(event) });
  db = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
});
afterAll(async () => {
  db?.destroy();
  await stack?.stop();
});

describe('replication with parallelization factor 4 (whole stack)', () => {
  it('concurrent writes across many todos converge in every replica, each item\'s changes reaching the replicator in order', async () => {
    // Prepare: 2 users, 8 todos each
    const clients = Array.from({ length: 2 }, () => new ApiClient(stack.url));
    await Promise.all(clients.map((api, i) => api.signUp(`parallel-${i}`)));
    const ids = await Promise.all(clients.map(async (api) => {
      const mine: string[] = [];
      for (let t = 0; t < 8; t++) mine.push((await api.request('POST', '/api/todos', { title: `todo ${t}` })).json.id);
      return mine;
    }));
    // Act: every user renames each of its todos 3 times, its todos concurrently
    await Promise.all(clients.map((api, u) => Promise.all(ids[u]!.map(async (id) => {
      for (let v = 1; v <= 3; v++) expect((await api.request('PATCH', `/api/todos/${id}`, { title: `renamed ${v}` })).status).toBe(200);
    }))));
    expect(await stack.replication.waitIdle(60_000)).toBe(true);
    let differences: Difference[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      differences = (await Promise.all(replicas.map((r) => compare(db, namedReplicaFeed(r, stack.tableName))))).flat();
      if (differences.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Assess
    expect(differences).toEqual([]);
    expect(order.records).toBeGreaterThanOrEqual(2 * 8 * 4);
    expect(order.violations).toBe(0);
    expect(stack.replication.status().settings.parallelizationFactor).toBe(4);
    expect(stack.replication.status().onFailureBatches).toBe(0);
  }, 120_000);
});
