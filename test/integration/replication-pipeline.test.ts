import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpEvent, sessionClaims, sessionTokenFor } from '../helpers/factories';
import { startPipeline, type ReplicationPipeline } from './replication-harness';

let pipeline: ReplicationPipeline;
beforeAll(async () => {
  pipeline = await startPipeline();
});
afterAll(async () => pipeline?.stop());

const rules = () => pipeline.dynamo.tableNames.rules!;
const replica = () => pipeline.dynamo.tableNames['rules-replica-for-user']!;

async function replicaItem(key: Record<string, string>) {
  return (await pipeline.dynamo.documentClient.send(new GetCommand({ TableName: replica(), Key: key, ConsistentRead: true }))).Item;
}

describe('replication pipeline (proxy → kinesalite → event source mapping → replicator)', () => {
  it('a todo created, completed and deleted shows up, changes and turns into a tombstone in its replica, which holds only its read model', async () => {
    // Prepare
    const key = { userId: 'u1', key: 'k1' };
    // Act
    await pipeline.writer.send(new PutCommand({ TableName: rules(), Item: { ...key, name: 'first', status: 1, version: 1 }, ConditionExpression: 'attribute_not_exists(userId)' }));
    expect(await pipeline.esm.waitIdle(5_000)).toBe(true);
    const created = await replicaItem(key);
    await pipeline.writer.send(new UpdateCommand({ TableName: rules(), Key: key, UpdateExpression: 'SET #n = :n, #s = :s, version = :v', ExpressionAttributeNames: { '#n': 'name', '#s': 'status' }, ExpressionAttributeValues: { ':n': 'renamed', ':s': 2, ':v': 2 } }));
    expect(await pipeline.esm.waitIdle(5_000)).toBe(true);
    const renamed = await replicaItem(key);
    await pipeline.writer.send(new DeleteCommand({ TableName: rules(), Key: key }));
    expect(await pipeline.esm.waitIdle(5_000)).toBe(true);
    const deleted = await replicaItem(key);
    // Assess
    expect(created).toEqual({ ...key, status: 1, version: 1 });
    expect(renamed).toEqual({ ...key, status: 2, version: 2 });
    expect(deleted).toMatchObject({ ...key, _deleted: true, version: 2 });
    expect(deleted?._expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('GET /api/replication reports items, tombstones and per-shard progress to a signed-in user', async () => {
    // Prepare
    const token = await sessionTokenFor(pipeline.keys, sessionClaims());
    // Act
    const anonymous = await pipeline.handler(httpEvent({ routeKey: 'GET /api/replication', path: '/api/replication' }));
    const result = await pipeline.handler(httpEvent({ routeKey: 'GET /api/replication', path: '/api/replication', headers: { authorization: `Bearer ${token}` } }));
    // Assess
    expect(anonymous.statusCode).toBe(401);
    expect(result.statusCode).toBe(200);
    const status = JSON.parse(result.body).replicas.find((r: { name: string }) => r.name === replica());
    expect(status).toMatchObject({ source: rules(), items: 0, tombstones: 1, applied: 2, failed: 0 });
    expect(status.shards.length).toBeGreaterThan(0);
    expect(status.shards[0]).toMatchObject({ shardId: expect.stringMatching(/^shardId-/), lastSequenceNumber: expect.any(String) });
    expect(status.lagMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(status.lastAppliedAt)).toBeGreaterThan(0);
  });
});
