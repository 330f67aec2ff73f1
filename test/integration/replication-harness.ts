import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { startEventSourceMapping, type EsmFaults, type EsmSettings, type EventSourceMapping } from '../../local/kinesis/event-source-mapping';
import { startKinesis, type LocalKinesis } from '../../local/kinesis';
import { startStreamingDestination, type StreamingDestination } from '../../local/dynamodb/streaming-destination';
import { replicaFeed, replicas } from '../../topology/index';
import { sessionKeys, type SessionKeys } from '../helpers/factories';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { startEdgeSecrets } from '../helpers/edge';

export interface ReplicationPipeline {
  dynamo: TestDynamo;
  kinesis: LocalKinesis;
  proxy: StreamingDestination;
  esm: EventSourceMapping;
  keys: SessionKeys;
  /** A document client writing through the streaming-destination proxy, as the services do. */
  writer: DynamoDBDocumentClient;
  /** The replicator's handler, imported after the environment points at the pipeline. */
  handler: (event: unknown) => Promise<any>;
  stop(): Promise<void>;
}

/**
 * dynalite + kinesalite + the streaming-destination proxy + the event source mapping, invoking the
 * replicator handler in-process (the local stack runs the same code in a worker process).
 */
export async function startPipeline(options: { faults?: EsmFaults; settings?: Partial<EsmSettings>; dataDir?: string; invoke?: (event: KinesisStreamEvent, real: (e: KinesisStreamEvent) => Promise<unknown>) => Promise<unknown> } = {}): Promise<ReplicationPipeline> {
  const dynamo = await startDynalite();
  const kinesis = await startKinesis({ dataDir: options.dataDir });
  const names = dynamo.tableNames;
  const proxy = await startStreamingDestination({
    dynamoEndpoint: dynamo.endpoint,
    kinesisEndpoint: kinesis.endpoint,
    streamName: kinesis.streamName,
    streamedTables: [names.rules!, names.users!],
  });
  const keys = await sessionKeys();
  // The replicator's HTTP route checks the edge's origin header like every function behind the API.
  const edgeSecrets = await startEdgeSecrets();
  Object.assign(process.env, {
    REPLICAS: JSON.stringify(replicas.map((r) => replicaFeed(r, (logical) => names[logical]!))),
    REPLICATION_STATE_TABLE: names['replication-state'],
    SESSION_PUBLIC_KEYS: JSON.stringify({ keys: [keys.publicJwk] }),
    LOG_LEVEL: 'ERROR',
  });
  const { handler } = await import('../../lambdas/replicator/handler');
  const real = (event: KinesisStreamEvent) => handler(event);
  const esm = await startEventSourceMapping({
    kinesisEndpoint: kinesis.endpoint,
    streamName: kinesis.streamName,
    invoke: options.invoke ? (event) => options.invoke!(event, real) : real,
    settings: { pollingIntervalMs: 10, ...options.settings },
    dataDir: options.dataDir,
    faults: options.faults,
  });
  const writer = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 3 }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return {
    dynamo, kinesis, proxy, esm, keys, writer,
    handler: handler as (event: unknown) => Promise<any>,
    stop: async () => {
      writer.destroy();
      await esm.stop();
      await proxy.stop();
      await kinesis.stop();
      await dynamo.stop();
      await edgeSecrets.stop();
    },
  };
}
