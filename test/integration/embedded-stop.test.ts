import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTables, startDynamo } from '../../local/dynamodb';
import { kinesisClient, startKinesis } from '../../local/kinesis';

/**
 * Sends `count` reads, aborts them all once the first is answered (the server is then busy with the
 * others, as when the event source mapping gives up its reads on stop), and stops the server at once.
 */
async function stopWithAbortedReads(read: (signal: AbortSignal) => Promise<unknown>, stop: () => Promise<void>, count = 100) {
  const aborts = Array.from({ length: count }, () => new AbortController());
  let firstAnswer!: () => void;
  const answering = new Promise<void>((resolve) => (firstAnswer = resolve));
  const reads = aborts.map((abort) => read(abort.signal).then(firstAnswer, () => undefined));
  await answering;
  for (const abort of aborts) abort.abort();
  await stop();
  await Promise.all(reads);
  // A read that touched the closed database would throw by now.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

// On disk: leveldown (unlike the in-memory store) throws when read after close.
describe('embedded servers on disk stop cleanly', () => {
  let dataDir: string;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'embedded-stop-'));
    uncaught.length = 0;
    process.on('uncaughtException', onUncaught);
  });

  afterEach(async () => {
    process.off('uncaughtException', onUncaught);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('kinesalite lets requests in flight finish, even ones their caller aborted, before closing its database', async () => {
    // Prepare
    const kinesis = await startKinesis({ dataDir });
    const client = kinesisClient(kinesis.endpoint);
    const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: kinesis.streamName }));
    const ShardId = Shards[0]!.ShardId!;
    await client.send(new PutRecordCommand({ StreamName: kinesis.streamName, PartitionKey: 'k', Data: Buffer.from('{}'), ExplicitHashKey: '0' }));
    const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: kinesis.streamName, ShardId, ShardIteratorType: 'TRIM_HORIZON' }));

    // Act
    await stopWithAbortedReads((abortSignal) => client.send(new GetRecordsCommand({ ShardIterator }), { abortSignal }), kinesis.stop);
    client.destroy();

    // Assess
    expect(uncaught).toEqual([]);
  });

  it('dynalite lets requests in flight finish, even ones their caller aborted, before closing its database', async () => {
    // Prepare
    const dynamo = await startDynamo({ path: dataDir });
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTables(dynamo.endpoint, [{ name: 'items', hashKey: { name: 'k', type: 'S' } }]);
    await client.send(new PutItemCommand({ TableName: 'items', Item: { k: { S: 'a' } } }));
    const query = new QueryCommand({ TableName: 'items', KeyConditionExpression: 'k = :k', ExpressionAttributeValues: { ':k': { S: 'a' } } });

    // Act
    await stopWithAbortedReads((abortSignal) => client.send(query, { abortSignal }), dynamo.stop);
    client.destroy();

    // Assess
    expect(uncaught).toEqual([]);
  });
});
