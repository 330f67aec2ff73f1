import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ResourceNotFoundException } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CHANGE_STREAM } from '../../topology';
import { trackRequests } from '../shared/drain';

export interface LocalKinesis {
  endpoint: string;
  streamName: string;
  stop(): Promise<void>;
}

/**
 * kinesalite in-process on loopback, persisted under `<dataDir>/kinesis` (in memory without a dataDir),
 * with the change stream created on first start. Locally the stream has a fixed shard count because
 * kinesalite has no on-demand mode.
 */
export async function startKinesis(options: { dataDir?: string; port?: number } = {}): Promise<LocalKinesis> {
  const dir = options.dataDir ? path.join(options.dataDir, 'kinesis') : undefined;
  if (dir) await mkdir(dir, { recursive: true });
  const server = kinesalite({ ...(dir ? { path: dir } : {}), createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
  const handling = trackRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = kinesisClient(endpoint);
  try {
    await ensureStream(client, CHANGE_STREAM.name, CHANGE_STREAM.localShardCount);
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    streamName: CHANGE_STREAM.name,
    stop: async () => {
      await handling.drain();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Kinesis client for kinesalite: HTTP/1.1 (the SDK's default HTTP/2 fails against it), dummy credentials. */
export function kinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 10_000 }),
    maxAttempts: 3,
  });
}

async function ensureStream(client: KinesisClient, name: string, shards: number): Promise<void> {
  try {
    await client.send(new DescribeStreamSummaryCommand({ StreamName: name }), { abortSignal: AbortSignal.timeout(5_000) });
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }), { abortSignal: AbortSignal.timeout(5_000) });
  // createStreamMs is 0, yet the stream becomes ACTIVE asynchronously: wait for it, boundedly.
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }), { abortSignal: AbortSignal.timeout(5_000) });
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Kinesis stream "${name}" did not become ACTIVE`);
}
