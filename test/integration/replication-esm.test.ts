import { PutRecordCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { esmSettings, startEventSourceMapping, type EventSourceMapping, type EventSourceMappingOptions } from '../../local/kinesis/event-source-mapping';
import { kinesisClient, startKinesis, type LocalKinesis } from '../../local/kinesis';
import { KeyOrder } from '../../bench/lib/key-order';
import { CHANGE_CONSUMER } from '../../topology';

let kinesis: LocalKinesis;
let client: KinesisClient;
const mappings: EventSourceMapping[] = [];

beforeEach(async () => {
  kinesis = await startKinesis();
  client = kinesisClient(kinesis.endpoint);
});
afterEach(async () => {
  for (const esm of mappings.splice(0)) await esm.stop();
  client.destroy();
  await kinesis.stop();
});

/** Puts records with one partition key, so they share a shard and its order. */
async function put(values: number[], partitionKey = 'p'): Promise<string[]> {
  const sequences: string[] = [];
  for (const n of values) {
    const out = await client.send(new PutRecordCommand({ StreamName: kinesis.streamName, PartitionKey: partitionKey, Data: Buffer.from(JSON.stringify({ n })) }));
    sequences.push(out.SequenceNumber!);
  }
  return sequences;
}

const valuesOf = (event: KinesisStreamEvent) => event.Records.map((r) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()).n as number);

async function start(invoke: EventSourceMappingOptions['invoke'], options: Partial<EventSourceMappingOptions> = {}) {
  const esm = await startEventSourceMapping({
    kinesisEndpoint: kinesis.endpoint,
    streamName: kinesis.streamName,
    invoke,
    ...options,
    settings: { pollingIntervalMs: 10, batchSize: 10, maximumRetryAttempts: 2, bisectBatchOnFunctionError: false, ...options.settings },
  });
  mappings.push(esm);
  return esm;
}

describe('local Kinesis event source mapping', () => {
  it('sends AWS-shaped events, in order, in batches of at most batchSize, and checkpoints each batch', async () => {
    // Prepare
    const sequences = await put([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const events: KinesisStreamEvent[] = [];
    // Act
    const esm = await start(async (event) => void events.push(event));
    expect(await esm.waitIdle(5_000)).toBe(true);
    // Assess
    expect(events.flatMap(valuesOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(events.map((e) => e.Records.length)).toEqual([10, 2]);
    const first = events[0]!.Records[0]!;
    expect(first).toEqual({
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'p', sequenceNumber: sequences[0], data: expect.any(String), approximateArrivalTimestamp: expect.any(Number) },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: expect.stringMatching(new RegExp(`^shardId-\\d{12}:${sequences[0]}$`)),
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::/),
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/changes',
    });
    expect(first.kinesis.approximateArrivalTimestamp).toBeLessThan(Date.now() / 1000 + 1);
    const shard = esm.status().shards.find((s) => s.checkpoint);
    expect(shard?.checkpoint).toBe(sequences[11]);
  });

  it('retries from the lowest sequence number in batchItemFailures, not from the start of the batch', async () => {
    // Prepare
    const sequences = await put([1, 2, 3, 4, 5]);
    const events: number[][] = [];
    let failed = false;
    // Act
    const esm = await start(async (event) => {
      events.push(valuesOf(event));
      if (failed) return { batchItemFailures: [] };
      failed = true;
      return { batchItemFailures: [{ itemIdentifier: sequences[3] }, { itemIdentifier: sequences[2] }] };
    });
    expect(await esm.waitIdle(5_000)).toBe(true);
    // Assess
    expect(events).toEqual([[1, 2, 3, 4, 5], [3, 4, 5]]);
    expect(esm.status()).toMatchObject({ partialFailures: 1, retries: 1, onFailureBatches: 0 });
  });

  it('bisects a failing batch until the poison record is alone, discards it after its retries, and keeps the shard moving', async () => {
    // Prepare
    const sequences = await put([1, 2, 3, 4, 5, 6, 7, 8]);
    const succeeded: number[] = [];
    // Act
    const esm = await start(
      async (event) => {
        const values = valuesOf(event);
        if (values.includes(5)) throw new Error('poison');
        succeeded.push(...values);
      },
      { settings: { bisectBatchOnFunctionError: true, maximumRetryAttempts: 1 } },
    );
    expect(await esm.waitIdle(10_000)).toBe(true);
    await put([9]);
    expect(await esm.waitIdle(5_000)).toBe(true);
    // Assess
    expect(succeeded).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);
    const failures = esm.failures();
    expect(failures).toHaveLength(1);
    expect(failures[0]!.KinesisBatchInfo).toMatchObject({ startSequenceNumber: sequences[4], endSequenceNumber: sequences[4], batchSize: 1 });
    expect(failures[0]!.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(esm.status().bisections).toBeGreaterThan(0);
  });

  it('sends an exhausted batch to on-failure.jsonl with Lambda\'s batch info', async () => {
    // Prepare
    const dataDir = await mkdtemp(path.join(tmpdir(), 'esm-'));
    const sequences = await put([1, 2, 3]);
    let invocations = 0;
    // Act
    const esm = await start(async () => {
      invocations++;
      throw new Error('always failing');
    }, { dataDir });
    expect(await esm.waitIdle(10_000)).toBe(true);
    // Assess
    const lines = (await readFile(path.join(dataDir, 'on-failure.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(invocations).toBe(3);
    expect(lines).toEqual([
      {
        requestContext: { requestId: expect.any(String), functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:replicator', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: expect.any(String),
        KinesisBatchInfo: {
          shardId: expect.stringMatching(/^shardId-/),
          startSequenceNumber: sequences[0],
          endSequenceNumber: sequences[2],
          approximateArrivalOfFirstRecord: expect.any(String),
          approximateArrivalOfLastRecord: expect.any(String),
          batchSize: 3,
          streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/changes',
        },
      },
    ]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('retries a throttled delivery without spending an attempt: with no retries allowed, nothing goes to on-failure', async () => {
    // Prepare: the pool's answer when its instances and queue are full, three times, then a function that works
    await put([1, 2, 3]);
    const seen: number[] = [];
    let throttles = 3;
    // Act
    const esm = await start(async (event) => {
      if (throttles-- > 0) throw Object.assign(new Error('replicator has 4 busy instances and 100 queued invocations'), { code: 'Throttled' });
      seen.push(...valuesOf(event));
    }, { settings: { maximumRetryAttempts: 0, bisectBatchOnFunctionError: true } });
    expect(await esm.waitIdle(5_000)).toBe(true);
    // Assess: delivered once, in order; the throttles are counted apart from function errors and retries
    expect(seen).toEqual([1, 2, 3]);
    expect(esm.status()).toMatchObject({ throttles: 3, functionErrors: 0, retries: 0, bisections: 0, onFailureBatches: 0, invocations: 1 });
  });

  it('discards records older than maximumRecordAgeSeconds even with unlimited retries', async () => {
    await put([1, 2]);
    const esm = await start(async () => {
      throw new Error('down');
    }, { settings: { maximumRetryAttempts: -1, maximumRecordAgeSeconds: 1 } });
    expect(await esm.waitIdle(10_000)).toBe(true);
    expect(esm.failures().map((f) => f.requestContext.condition)).toEqual(['RecordAgeExceeded']);
  });

  it('waits up to the batching window to fill a batch', async () => {
    const sizes: number[] = [];
    const esm = await start(async (event) => void sizes.push(event.Records.length), { settings: { maximumBatchingWindowSeconds: 0.5 } });
    await put([1]);
    await new Promise((r) => setTimeout(r, 100));
    await put([2, 3]);
    expect(await esm.waitIdle(5_000)).toBe(true);
    expect(sizes).toEqual([3]);
  });

  it('resumes after a restart from its persisted checkpoint, without gaps', async () => {
    // Prepare
    const dataDir = await mkdtemp(path.join(tmpdir(), 'esm-'));
    const seen: number[] = [];
    const first = await start(async (event) => void seen.push(...valuesOf(event)), { dataDir });
    await put([1, 2, 3]);
    expect(await first.waitIdle(5_000)).toBe(true);
    await first.stop();
    // Act: records written while the mapping is down, then a new mapping on the same data dir
    await put([4, 5]);
    const second = await start(async (event) => void seen.push(...valuesOf(event)), { dataDir, settings: { startingPosition: 'LATEST' } });
    expect(await second.waitIdle(5_000)).toBe(true);
    // Assess
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('loses nothing when kinesalite and the mapping both restart on their data dir mid-stream', async () => {
    // Prepare: a persisted kinesalite of its own
    const dataDir = await mkdtemp(path.join(tmpdir(), 'esm-restart-'));
    let persisted = await startKinesis({ dataDir });
    let writer = kinesisClient(persisted.endpoint);
    const seen: number[] = [];
    const startOn = (endpoint: string) => startEventSourceMapping({
      kinesisEndpoint: endpoint, streamName: persisted.streamName, dataDir,
      invoke: async (event) => void seen.push(...valuesOf(event)),
      settings: { pollingIntervalMs: 10, batchSize: 3 },
    });
    const putOn = async (values: number[]) => {
      for (const n of values) await writer.send(new PutRecordCommand({ StreamName: persisted.streamName, PartitionKey: 'p', Data: Buffer.from(JSON.stringify({ n })) }));
    };
    let esm = await startOn(persisted.endpoint);
    await putOn([1, 2, 3, 4, 5]);
    expect(await esm.waitIdle(5_000)).toBe(true);
    // Act: stop everything, restart on the same data dir, write more
    await esm.stop();
    writer.destroy();
    await persisted.stop();
    persisted = await startKinesis({ dataDir });
    writer = kinesisClient(persisted.endpoint);
    esm = await startOn(persisted.endpoint);
    await putOn([6, 7]);
    expect(await esm.waitIdle(5_000)).toBe(true);
    await esm.stop();
    writer.destroy();
    await persisted.stop();
    // Assess
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('injects duplicate and reordered deliveries and failures when the fault switch is on', async () => {
    await put([1, 2, 3, 4, 5, 6]);
    const seen: number[] = [];
    const esm = await start(async (event) => void seen.push(...valuesOf(event)), { faults: { duplicateRate: 1, reorder: true, failRate: 0.5 }, settings: { maximumRetryAttempts: -1 } });
    expect(await esm.waitIdle(10_000)).toBe(true);
    const status = esm.status();
    expect(new Set(seen)).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    expect(seen.length).toBeGreaterThanOrEqual(12);
    expect(status.injected.duplicates).toBeGreaterThanOrEqual(6);
    expect(status.injected.reorders).toBeGreaterThan(0);
    expect(status.onFailureBatches).toBe(0);
  });

  it('polls a busy shard again at once after each batch; only empty polls wait', async () => {
    // Prepare: a long idle wait, which the old loop slept after every batch
    const sequences = await put(Array.from({ length: 30 }, (_, i) => i + 1));
    const arrivals: number[] = [];
    const started = Date.now();
    // Act
    const esm = await start(async () => void arrivals.push(Date.now() - started), { settings: { pollingIntervalMs: 2_000 } });
    expect(await esm.waitIdle(10_000)).toBe(true);
    // Assess: three batches of 10, back to back
    expect(arrivals).toHaveLength(3);
    expect(arrivals[2]! - arrivals[0]!).toBeLessThan(1_000);
    expect(esm.status().shards.find((s) => s.checkpoint)?.checkpoint).toBe(sequences[29]);
  });

  it('ends an idle wait at once on a wake-up hint, and stop() does not wait for it either', async () => {
    // Prepare: let the idle waits grow to 2.56 s (5, 10, … 1280 ms, then 2560 ms)
    const arrivals: number[] = [];
    const esm = await start(async () => void arrivals.push(Date.now()), { settings: { pollingIntervalMs: 5_000 } });
    await new Promise((r) => setTimeout(r, 2_700));
    // Act
    await put([1]);
    const putAt = Date.now();
    for (const shard of esm.status().shards) esm.wake(shard.shardId);
    expect(await esm.waitIdle(5_000)).toBe(true);
    const stopping = Date.now();
    await esm.stop();
    // Assess
    expect(arrivals).toHaveLength(1);
    expect(arrivals[0]! - putAt).toBeLessThan(1_000);
    expect(Date.now() - stopping).toBeLessThan(1_000);
  });

  it('keeps each invocation within Lambda\'s 6 MB payload limit', async () => {
    // Prepare: 7 records of 1 MB (1.33 MB each in base64): at most 4 fit in one event
    const big = 'x'.repeat(1_000_000);
    for (let n = 1; n <= 7; n++) await client.send(new PutRecordCommand({ StreamName: kinesis.streamName, PartitionKey: 'p', Data: Buffer.from(JSON.stringify({ n, big })) }));
    const sizes: number[] = [];
    // Act
    const esm = await start(async (event) => void sizes.push(event.Records.length), { settings: { batchSize: 100 } });
    expect(await esm.waitIdle(20_000)).toBe(true);
    // Assess
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(7);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
  }, 30_000);
});

describe('parallelization factor', () => {
  const shardOf = (event: KinesisStreamEvent) => event.Records[0]!.eventID.split(':')[0]!;
  const keyValues = (event: KinesisStreamEvent) => event.Records.map((r) => ({ key: r.kinesis.partitionKey, n: JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()).n as number }));

  it('with factor 4 runs up to 4 batches of a shard at once while writes across many keys go on, keeps every key in order, and checkpoints each shard at its last record', async () => {
    // Prepare: the consumer takes a few ms per batch, so batches overlap
    const order = new KeyOrder();
    const values = new Map<string, number[]>();
    const inFlight = new Map<string, number>();
    let most = 0;
    const esm = await start(async (event) => {
      const shard = shardOf(event);
      inFlight.set(shard, (inFlight.get(shard) ?? 0) + 1);
      most = Math.max(most, inFlight.get(shard)!);
      order.seeEvent(event);
      for (const { key, n } of keyValues(event)) values.set(key, [...(values.get(key) ?? []), n]);
      await new Promise((r) => setTimeout(r, 2 + (event.Records.length % 5)));
      inFlight.set(shard, inFlight.get(shard)! - 1);
    }, { settings: { parallelizationFactor: 4, batchSize: 5 } });
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    const last = new Map<string, string>();
    // Act: 4 writers at once, each putting 5 versions of its 10 keys, one PutRecords call per version
    await Promise.all([0, 1, 2, 3].map(async (writer) => {
      const mine = keys.filter((_, i) => i % 4 === writer);
      for (let n = 1; n <= 5; n++) {
        const out = await client.send(new PutRecordsCommand({ StreamName: kinesis.streamName, Records: mine.map((key) => ({ PartitionKey: key, Data: Buffer.from(JSON.stringify({ n })) })) }));
        for (const r of out.Records ?? []) if (BigInt(r.SequenceNumber!) > BigInt(last.get(r.ShardId!) ?? -1)) last.set(r.ShardId!, r.SequenceNumber!);
      }
    }));
    expect(await esm.waitIdle(20_000)).toBe(true);
    // Assess
    expect(esm.status().settings.parallelizationFactor).toBe(4);
    expect(order.violations).toBe(0);
    expect(Object.fromEntries(values)).toEqual(Object.fromEntries(keys.map((k) => [k, [1, 2, 3, 4, 5]])));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
    expect(Object.fromEntries(esm.status().shards.filter((s) => last.has(s.shardId)).map((s) => [s.shardId, s.checkpoint]))).toEqual(Object.fromEntries(last));
  });

  it('a failing record holds back only its own lane: other keys go on, the checkpoint stays below it until it goes to the on-failure destination', async () => {
    // Prepare: one shard (explicit hash key 0), the poison record first, then one record for each of 12 keys
    const onShard = async (key: string, n: number) => (await client.send(new PutRecordCommand({ StreamName: kinesis.streamName, PartitionKey: key, ExplicitHashKey: '0', Data: Buffer.from(JSON.stringify({ n })) }))).SequenceNumber!;
    const poison = await onShard('poison', 0);
    for (let i = 1; i <= 12; i++) await onShard(`key-${i}`, i);
    const delivered: string[] = [];
    const checkpointsWhilePoisoned: string[] = [];
    let discarded = false;
    // Act
    const esm = await start(async (event) => {
      const keys = event.Records.map((r) => r.kinesis.partitionKey);
      delivered.push(...keys);
      if (keys.includes('poison')) throw new Error('poison');
      const checkpoint = esm.status().shards.find((s) => s.shardId === shardOf(event))?.checkpoint;
      if (!discarded && checkpoint) checkpointsWhilePoisoned.push(checkpoint);
    }, { settings: { parallelizationFactor: 4, batchSize: 1, maximumRetryAttempts: 2 }, onDiscard: () => (discarded = true) });
    expect(await esm.waitIdle(10_000)).toBe(true);
    // Assess: keys of other lanes were delivered before the poison's last attempt
    const lastPoisonAttempt = delivered.lastIndexOf('poison');
    expect(delivered.filter((k) => k === 'poison')).toHaveLength(3);
    expect(delivered.slice(0, lastPoisonAttempt).some((k) => k !== 'poison')).toBe(true);
    expect(checkpointsWhilePoisoned.every((c) => BigInt(c) < BigInt(poison))).toBe(true);
    expect(esm.failures().map((f) => f.KinesisBatchInfo.startSequenceNumber)).toEqual([poison]);
    expect(new Set(delivered)).toEqual(new Set(['poison', ...Array.from({ length: 12 }, (_, i) => `key-${i + 1}`)]));
    const shard = esm.status().shards.find((s) => s.checkpoint);
    expect(BigInt(shard!.checkpoint!)).toBeGreaterThan(BigInt(poison));
  });
});

describe('event source mapping settings', () => {
  it('defaults to topology\'s CHANGE_CONSUMER and overrides setting by setting', () => {
    expect(esmSettings({ batchSize: 500, maximumBatchingWindowSeconds: undefined })).toMatchObject({ batchSize: 500, maximumBatchingWindowSeconds: 0, startingPosition: 'TRIM_HORIZON', parallelizationFactor: CHANGE_CONSUMER.parallelizationFactor });
    expect(esmSettings({ parallelizationFactor: 10 }).parallelizationFactor).toBe(10);
  });

  it.each([
    [{ batchSize: 0 }, /batchSize/],
    [{ batchSize: 10_001 }, /batchSize/],
    [{ batchSize: 2.5 }, /batchSize/],
    [{ maximumBatchingWindowSeconds: 301 }, /maximumBatchingWindowSeconds/],
    [{ maximumRetryAttempts: -2 }, /maximumRetryAttempts/],
    [{ maximumRecordAgeSeconds: 604_801 }, /maximumRecordAgeSeconds/],
    [{ pollingIntervalMs: 0 }, /pollingIntervalMs/],
    [{ parallelizationFactor: 0 }, /parallelizationFactor/],
    [{ parallelizationFactor: 11 }, /parallelizationFactor/],
    [{ parallelizationFactor: 1.5 }, /parallelizationFactor/],
  ])('rejects %o, outside what AWS accepts', (settings, message) => {
    expect(() => esmSettings(settings)).toThrow(message);
  });
});
