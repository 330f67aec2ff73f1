import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createTables, startDynamo } from '../../local/dynamodb';
import { kinesisClient, startKinesis } from '../../local/kinesis';

describe('embedded servers stop cleanly', () => {
  it('kinesalite lets requests in flight finish, even ones their caller aborted, before closing its database', async () => {
    // Prepare
    // On disk: leveldown (unlike the in-memory store) throws when read after close.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'kinesis-stop-'));
    const kinesis = await startKinesis({ dataDir });
    const client = kinesisClient(kinesis.endpoint);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: kinesis.streamName }));
      const ShardId = Shards[0]!.ShardId!;
      await client.send(new PutRecordCommand({ StreamName: kinesis.streamName, PartitionKey: 'k', Data: Buffer.from('{}'), ExplicitHashKey: '0' }));
      const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: kinesis.streamName, ShardId, ShardIteratorType: 'TRIM_HORIZON' }));

      // Act: what the event source mapping does on stop — abort its reads — then stop kinesalite at once.
      const aborts = Array.from({ length: 100 }, () => new AbortController());
      let firstAnswer!: () => void;
      const answering = new Promise<void>((resolve) => (firstAnswer = resolve));
      const reads = aborts.map((abort) =>
        client.send(new GetRecordsCommand({ ShardIterator }), { abortSignal: abort.signal }).then(firstAnswer, () => undefined),
      );
      await answering; // the server is now busy with the others
      for (const abort of aborts) abort.abort();
      await kinesis.stop();
      await Promise.all(reads);
      await new Promise((resolve) => setTimeout(resolve, 200));

      // Assess
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      client.destroy();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('dynalite lets requests in flight finish, even ones their caller aborted, before closing its database', async () => {
    // Prepare
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dynamo-stop-'));
    const dynamo = await startDynamo({ path: dataDir });
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      await createTables(dynamo.endpoint, [{ name: 'items', hashKey: { name: 'k', type: 'S' } }]);
      await client.send(new PutItemCommand({ TableName: 'items', Item: { k: { S: 'a' } } }));

      // Act
      const aborts = Array.from({ length: 100 }, () => new AbortController());
      let firstAnswer!: () => void;
      const answering = new Promise<void>((resolve) => (firstAnswer = resolve));
      const reads = aborts.map((abort) =>
        client
          .send(new QueryCommand({ TableName: 'items', KeyConditionExpression: 'k = :k', ExpressionAttributeValues: { ':k': { S: 'a' } } }), { abortSignal: abort.signal })
          .then(firstAnswer, () => undefined),
      );
      await answering;
      for (const abort of aborts) abort.abort();
      await dynamo.stop();
      await Promise.all(reads);
      await new Promise((resolve) => setTimeout(resolve, 200));

      // Assess
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      client.destroy();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
