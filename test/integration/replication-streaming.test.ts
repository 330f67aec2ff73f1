import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DynamoDbChangeRecord } from '../../topology/change-record';
import { kinesisClient, startKinesis, type LocalKinesis } from '../../local/kinesis';
import { startStreamingDestination, type StreamingDestination } from '../../local/dynamodb/streaming-destination';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

let dynamo: TestDynamo;
let kinesis: LocalKinesis;
let proxy: StreamingDestination;
let kc: KinesisClient;
let db: DynamoDBDocumentClient;
const seen = new Set<string>();
/** Shards reported by onPublished, in order. */
const publishedTo: string[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  kinesis = await startKinesis();
  kc = kinesisClient(kinesis.endpoint);
  proxy = await startStreamingDestination({
    dynamoEndpoint: dynamo.endpoint,
    kinesisEndpoint: kinesis.endpoint,
    streamName: kinesis.streamName,
    streamedTables: [dynamo.tableNames.rules!, dynamo.tableNames.users!],
    onPublished: (shardId) => publishedTo.push(shardId),
  });
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 }));
});
afterAll(async () => {
  db?.destroy();
  kc?.destroy();
  await proxy?.stop();
  await kinesis?.stop();
  await dynamo?.stop();
});
beforeEach(async () => {
  await newRecords();
});

/** Records published since the last call (reads every shard from the start, skips those already seen). */
async function newRecords(): Promise<Array<{ partitionKey: string; record: DynamoDbChangeRecord }>> {
  const out: Array<{ partitionKey: string; record: DynamoDbChangeRecord; seq: string }> = [];
  const shards = (await kc.send(new ListShardsCommand({ StreamName: kinesis.streamName }))).Shards ?? [];
  for (const shard of shards) {
    let iterator = (await kc.send(new GetShardIteratorCommand({ StreamName: kinesis.streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (let page = 0; page < 50 && iterator; page++) {
      const res = await kc.send(new GetRecordsCommand({ ShardIterator: iterator }), { abortSignal: AbortSignal.timeout(3_000) });
      for (const r of res.Records ?? []) {
        if (seen.has(r.SequenceNumber!)) continue;
        seen.add(r.SequenceNumber!);
        out.push({ partitionKey: r.PartitionKey!, seq: r.SequenceNumber!, record: JSON.parse(Buffer.from(r.Data!).toString()) });
      }
      if (!res.Records?.length) break;
      iterator = res.NextShardIterator;
    }
  }
  return out.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
}

const rules = () => dynamo.tableNames.rules!;
const key = (k: string) => ({ userId: 'u', key: k });

describe('streaming destination proxy', () => {
  it('publishes one INSERT, MODIFY and REMOVE per write with AWS fields and true old/new images', async () => {
    // Act
    await db.send(new PutCommand({ TableName: rules(), Item: { ...key('a'), name: 'one', version: 1 } }));
    await db.send(new UpdateCommand({ TableName: rules(), Key: key('a'), UpdateExpression: 'SET #n = :n, version = :v', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':n': 'two', ':v': 2 } }));
    await db.send(new DeleteCommand({ TableName: rules(), Key: key('a') }));
    const records = await newRecords();
    // Assess
    expect(records.map((r) => r.record.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [insert, modify, remove] = records.map((r) => r.record);
    const keys = { userId: { S: 'u' }, key: { S: 'a' } };
    const v1 = { ...keys, name: { S: 'one' }, version: { N: '1' } };
    const v2 = { ...keys, name: { S: 'two' }, version: { N: '2' } };
    expect(insert).toEqual({
      awsRegion: 'us-east-1',
      eventID: expect.stringMatching(/^[0-9a-f-]{36}$/),
      eventName: 'INSERT',
      userIdentity: null,
      recordFormat: 'application/json',
      tableName: rules(),
      dynamodb: { ApproximateCreationDateTime: expect.any(Number), ApproximateCreationDateTimePrecision: 'MICROSECOND', Keys: keys, NewImage: v1, SizeBytes: expect.any(Number) },
      eventSource: 'aws:dynamodb',
    });
    expect(insert!.dynamodb.ApproximateCreationDateTime / 1000).toBeGreaterThan(Date.now() - 10_000);
    expect(insert!.dynamodb.ApproximateCreationDateTime / 1000).toBeLessThanOrEqual(Date.now());
    expect(modify!.dynamodb).toMatchObject({ OldImage: v1, NewImage: v2 });
    expect(remove!.dynamodb).toMatchObject({ OldImage: v2 });
    expect(remove!.dynamodb.NewImage).toBeUndefined();
    expect(new Set(records.map((r) => r.partitionKey)).size).toBe(1);
  });

  it('reports the shard of each record once it is on the stream, before answering the write', async () => {
    // Prepare
    const before = publishedTo.length;
    // Act
    await db.send(new PutCommand({ TableName: rules(), Item: { ...key('hint'), version: 1 } }));
    const afterPut = publishedTo.length;
    await db.send(new DeleteCommand({ TableName: rules(), Key: key('hint') }));
    const records = await newRecords();
    // Assess
    expect(afterPut - before).toBe(1);
    expect(publishedTo.length - before).toBe(records.length);
    const shards = (await kc.send(new ListShardsCommand({ StreamName: kinesis.streamName }))).Shards!.map((shard) => shard.ShardId);
    expect(shards).toContain(publishedTo.at(-1));
    expect(publishedTo.at(-1)).toBe(publishedTo.at(-2));
  });

  it('answers with only the ReturnValues the caller asked for', async () => {
    const none = await db.send(new PutCommand({ TableName: rules(), Item: { ...key('r'), version: 1 } }));
    const old = await db.send(new PutCommand({ TableName: rules(), Item: { ...key('r'), version: 2 }, ReturnValues: 'ALL_OLD' }));
    const updated = await db.send(new UpdateCommand({ TableName: rules(), Key: key('r'), UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': 3 }, ReturnValues: 'UPDATED_OLD' }));
    const silent = await db.send(new UpdateCommand({ TableName: rules(), Key: key('r'), UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': 4 } }));
    const deleted = await db.send(new DeleteCommand({ TableName: rules(), Key: key('r') }));
    expect(none.Attributes).toBeUndefined();
    expect(old.Attributes).toEqual({ ...key('r'), version: 1 });
    expect(updated.Attributes).toEqual({ version: 2 });
    expect(silent.Attributes).toBeUndefined();
    expect(deleted.Attributes).toBeUndefined();
    const records = await newRecords();
    expect(records.map((r) => r.record.eventName)).toEqual(['INSERT', 'MODIFY', 'MODIFY', 'MODIFY', 'REMOVE']);
    expect(records[2]!.record.dynamodb.NewImage).toEqual({ userId: { S: 'u' }, key: { S: 'r' }, version: { N: '3' } });
  });

  it('publishes nothing for failed conditional writes, deletes of missing items and writes that change nothing', async () => {
    await db.send(new PutCommand({ TableName: rules(), Item: { ...key('c'), version: 1 } }));
    await newRecords();
    await expect(db.send(new PutCommand({ TableName: rules(), Item: { ...key('c'), version: 2 }, ConditionExpression: 'attribute_not_exists(userId)' }))).rejects.toThrow(/conditional/i);
    await expect(db.send(new UpdateCommand({ TableName: rules(), Key: key('c'), UpdateExpression: 'SET version = :v', ConditionExpression: 'version = :old', ExpressionAttributeValues: { ':v': 3, ':old': 7 } }))).rejects.toThrow(/conditional/i);
    await db.send(new DeleteCommand({ TableName: rules(), Key: key('missing') }));
    await db.send(new PutCommand({ TableName: rules(), Item: { ...key('c'), version: 1 } }));
    expect(await newRecords()).toEqual([]);
    expect((await dynamo.documentClient.send(new GetCommand({ TableName: rules(), Key: key('c') }))).Item).toEqual({ ...key('c'), version: 1 });
  });

  it('publishes one record per written item of a BatchWriteItem, and nothing for tables that are not streamed', async () => {
    await db.send(new PutCommand({ TableName: rules(), Item: { ...key('b2'), version: 1 } }));
    await newRecords();
    await db.send(new BatchWriteCommand({
      RequestItems: {
        [rules()]: [{ PutRequest: { Item: { ...key('b1'), version: 1 } } }, { DeleteRequest: { Key: key('b2') } }],
        [dynamo.tableNames['login-attempts']!]: [{ PutRequest: { Item: { id: 'x', count: 1 } } }],
      },
    }));
    const records = await newRecords();
    expect(records.map((r) => `${r.record.eventName} ${r.record.dynamodb.Keys.key!.S}`).sort()).toEqual(['INSERT b1', 'REMOVE b2']);
  });

  it('keeps old images exact under concurrent writes to one item', async () => {
    await db.send(new PutCommand({ TableName: rules(), Item: { ...key('hot'), n: 0, version: 1 } }));
    await Promise.all(Array.from({ length: 20 }, () => db.send(new UpdateCommand({ TableName: rules(), Key: key('hot'), UpdateExpression: 'SET n = n + :one, version = version + :one', ExpressionAttributeValues: { ':one': 1 } }))));
    const records = (await newRecords()).map((r) => r.record);
    expect(records).toHaveLength(21);
    for (const [i, record] of records.entries()) {
      expect(record.dynamodb.NewImage!.version!.N).toBe(String(i + 1));
      if (i > 0) expect(record.dynamodb.OldImage!.version!.N).toBe(String(i));
    }
  });

  it('passes other operations through unchanged and counts what it did', async () => {
    const got = await db.send(new GetCommand({ TableName: rules(), Key: key('hot') }));
    expect(got.Item?.version).toBe(21);
    expect(proxy.stats()).toMatchObject({ publishFailures: 0, rejected: 2 });
    expect(proxy.stats().published).toBeGreaterThan(25);
  });
});
