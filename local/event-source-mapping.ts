import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type _Record as KinesisRecord,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { CHANGE_CONSUMER } from '../topology/index';
import { EsmStore } from './esm-store';
import { firstFailedIndex, kinesisEvent, onFailureRecord, type EventSource, type FailureCondition, type OnFailureRecord } from './kinesis-event';
import { kinesisClient } from './kinesis';

export interface EsmSettings {
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  bisectBatchOnFunctionError: boolean;
  /** -1 = retry until the record expires. */
  maximumRetryAttempts: number;
  /** -1 = no age limit. */
  maximumRecordAgeSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  pollingIntervalMs: number;
}

/** Test-only fault switch: duplicate and reordered deliveries, and invocations reported failed after the function ran. */
export interface EsmFaults {
  duplicateRate?: number;
  reorder?: boolean;
  failRate?: number;
}

export interface EventSourceMappingOptions {
  kinesisEndpoint: string;
  streamName: string;
  invoke: (event: KinesisStreamEvent) => Promise<unknown>;
  settings?: Partial<EsmSettings>;
  /** Checkpoints and `on-failure.jsonl` live here; in memory without it. */
  dataDir?: string;
  faults?: EsmFaults;
  functionName?: string;
  /** How often to look for new shards (after resharding). */
  shardRefreshMs?: number;
}

export interface ShardStatus {
  shardId: string;
  checkpoint?: string;
  buffered: number;
  millisBehindLatest?: number;
  lastPollAt?: string;
  ended: boolean;
}

export interface EsmStatus {
  streamName: string;
  running: boolean;
  shards: ShardStatus[];
  invocations: number;
  functionErrors: number;
  partialFailures: number;
  retries: number;
  bisections: number;
  recordsDelivered: number;
  onFailureBatches: number;
  onFailureRecords: number;
  injected: { duplicates: number; reorders: number; failures: number };
  lastError?: string;
}

export interface EventSourceMapping {
  status(): EsmStatus;
  /** Resolves true once every shard has been read to its end (an empty poll after the call) and nothing is in flight. */
  waitIdle(timeoutMs?: number): Promise<boolean>;
  /** On-failure records kept in memory (the newest 1000). */
  failures(): OnFailureRecord[];
  stop(): Promise<void>;
}

const GET_RECORDS_TIMEOUT_MS = 3_000;
const MAX_BACKOFF_MS = 1_000;

/**
 * Lambda's event source mapping for Kinesis, per shard and in order: poll, batch (size and window),
 * invoke, and on error retry from the lowest failed sequence number (ReportBatchItemFailures), bisect,
 * give up after the retry or age limit by sending the batch's description to the on-failure destination,
 * and checkpoint after each finished batch.
 */
export async function startEventSourceMapping(options: EventSourceMappingOptions): Promise<EventSourceMapping> {
  const settings: EsmSettings = {
    batchSize: CHANGE_CONSUMER.batchSize,
    maximumBatchingWindowSeconds: CHANGE_CONSUMER.maximumBatchingWindowSeconds,
    bisectBatchOnFunctionError: CHANGE_CONSUMER.bisectBatchOnFunctionError,
    maximumRetryAttempts: CHANGE_CONSUMER.maximumRetryAttempts,
    maximumRecordAgeSeconds: CHANGE_CONSUMER.maximumRecordAgeSeconds,
    startingPosition: CHANGE_CONSUMER.startingPosition,
    pollingIntervalMs: CHANGE_CONSUMER.pollingIntervalMs,
    ...options.settings,
  };
  const source: EventSource = {
    region: process.env.AWS_REGION ?? 'us-east-1',
    accountId: '000000000000',
    streamName: options.streamName,
    functionName: options.functionName ?? 'replicator',
  };
  const client = kinesisClient(options.kinesisEndpoint);
  const store = await EsmStore.open(options.dataDir, options.streamName);
  const stats: Omit<EsmStatus, 'streamName' | 'running' | 'shards'> = {
    invocations: 0, functionErrors: 0, partialFailures: 0, retries: 0, bisections: 0, recordsDelivered: 0,
    onFailureBatches: 0, onFailureRecords: 0, injected: { duplicates: 0, reorders: 0, failures: 0 },
  };
  const pollers = new Map<string, ShardPoller>();
  const context: PollerContext = { client, store, settings, source, stats, faults: options.faults ?? {}, invoke: options.invoke, stopped: false };

  const refreshShards = async () => {
    const shards = await listShards(client, options.streamName);
    const ids = new Set(shards.map((s) => s.ShardId));
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (pollers.has(id)) continue;
      // A child shard starts only after its parents are read to their end, so each item's changes stay in order.
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p && ids.has(p));
      if (parents.some((p) => !pollers.get(p)?.ended)) continue;
      const initial = parents.length > 0 ? 'TRIM_HORIZON' : settings.startingPosition;
      const poller = new ShardPoller(id, initial, context);
      pollers.set(id, poller);
      poller.start();
    }
  };
  await refreshShards();
  const refreshTimer = setInterval(() => {
    refreshShards().catch((err: Error) => (stats.lastError = `ListShards: ${err.message}`));
  }, options.shardRefreshMs ?? 5_000);
  refreshTimer.unref();

  return {
    status: () => ({
      streamName: options.streamName,
      running: !context.stopped,
      shards: [...pollers.values()].map((p) => p.status()),
      ...stats,
      injected: { ...stats.injected },
    }),
    failures: () => [...store.failures],
    waitIdle: async (timeoutMs = 30_000) => {
      const marks = new Map([...pollers.values()].map((p) => [p, p.emptyPolls]));
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if ([...pollers.values()].every((p) => p.ended || (p.idle && p.emptyPolls > (marks.get(p) ?? -1)))) return true;
        await sleep(10);
      }
      return false;
    },
    stop: async () => {
      context.stopped = true;
      clearInterval(refreshTimer);
      await Promise.all([...pollers.values()].map((p) => p.done));
      client.destroy();
    },
  };
}

interface PollerContext {
  client: KinesisClient;
  store: EsmStore;
  settings: EsmSettings;
  source: EventSource;
  stats: Omit<EsmStatus, 'streamName' | 'running' | 'shards'>;
  faults: EsmFaults;
  invoke: (event: KinesisStreamEvent) => Promise<unknown>;
  stopped: boolean;
}

type Outcome = { kind: 'ok' } | { kind: 'partial'; from: number } | { kind: 'error'; message: string };

/** One shard's loop. Records fetched but not yet finished wait in `buffer`; the checkpoint trails them. */
class ShardPoller {
  private buffer: KinesisRecord[] = [];
  private iterator: string | undefined;
  private lastFetched: string | undefined;
  private millisBehindLatest: number | undefined;
  private lastPollAt: number | undefined;
  private delivering = false;
  emptyPolls = 0;
  ended = false;
  done: Promise<void> = Promise.resolve();

  constructor(readonly shardId: string, private readonly initial: 'TRIM_HORIZON' | 'LATEST', private readonly ctx: PollerContext) {}

  get idle(): boolean {
    return this.buffer.length === 0 && !this.delivering;
  }

  start(): void {
    this.done = this.run().catch((err: Error) => {
      this.ctx.stats.lastError = `${this.shardId}: ${err.message}`;
    });
  }

  status(): ShardStatus {
    return {
      shardId: this.shardId,
      checkpoint: this.ctx.store.checkpoint(this.shardId),
      buffered: this.buffer.length,
      millisBehindLatest: this.millisBehindLatest,
      lastPollAt: this.lastPollAt ? new Date(this.lastPollAt).toISOString() : undefined,
      ended: this.ended,
    };
  }

  private async run(): Promise<void> {
    const { settings } = this.ctx;
    this.lastFetched = this.ctx.store.checkpoint(this.shardId);
    let open = true;
    let windowStart = Date.now();
    while (!this.ctx.stopped) {
      if (open && this.buffer.length < settings.batchSize) open = await this.fetch();
      const full = this.buffer.length >= settings.batchSize;
      const windowOpen = Date.now() - windowStart < settings.maximumBatchingWindowSeconds * 1000;
      if (this.buffer.length === 0 || (!full && windowOpen && open)) {
        if (!open && this.buffer.length === 0) {
          this.ended = true;
          return;
        }
        if (this.buffer.length === 0) windowStart = Date.now();
        await sleep(settings.pollingIntervalMs);
        continue;
      }
      const batch = this.buffer.slice(0, settings.batchSize);
      this.delivering = true;
      const finished = await this.deliver(batch, 0).finally(() => (this.delivering = false));
      if (!finished) return;
      this.buffer = this.buffer.slice(batch.length);
      windowStart = Date.now();
    }
  }

  /** One GetRecords call; false once the shard is closed and read to its end. */
  private async fetch(): Promise<boolean> {
    const { client, settings } = this.ctx;
    try {
      this.iterator ??= await this.newIterator();
      const out = await client.send(
        new GetRecordsCommand({ ShardIterator: this.iterator, Limit: Math.min(10_000, settings.batchSize) }),
        { abortSignal: AbortSignal.timeout(GET_RECORDS_TIMEOUT_MS) },
      );
      this.lastPollAt = Date.now();
      this.millisBehindLatest = out.MillisBehindLatest;
      const records = out.Records ?? [];
      if (records.length === 0) this.emptyPolls++;
      this.buffer.push(...records);
      if (records.length > 0) this.lastFetched = records[records.length - 1]!.SequenceNumber;
      this.iterator = out.NextShardIterator;
      return this.iterator !== undefined && this.iterator !== null;
    } catch (err) {
      // Expired iterators and timed-out calls: start again right after the last record fetched.
      if (err instanceof ExpiredIteratorException || (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') this.iterator = undefined;
      else this.ctx.stats.lastError = `${this.shardId}: ${(err as Error).message}`;
      await sleep(settings.pollingIntervalMs);
      return true;
    }
  }

  private async newIterator(): Promise<string> {
    const position = this.lastFetched
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: this.lastFetched }
      : { ShardIteratorType: this.initial };
    const out = await this.ctx.client.send(
      new GetShardIteratorCommand({ StreamName: this.ctx.source.streamName, ShardId: this.shardId, ...position }),
      { abortSignal: AbortSignal.timeout(GET_RECORDS_TIMEOUT_MS) },
    );
    if (!out.ShardIterator) throw new Error('GetShardIterator returned no iterator');
    return out.ShardIterator;
  }

  /** Delivers a batch until it succeeds or is discarded; false if the mapping stopped first (no checkpoint moved). */
  private async deliver(records: KinesisRecord[], retries: number): Promise<boolean> {
    const { settings, stats } = this.ctx;
    let pending = records;
    let invokes = 0;
    while (pending.length > 0) {
      if (this.ctx.stopped) return false;
      const expired = this.expiredPrefix(pending);
      if (expired > 0) {
        await this.discard(pending.slice(0, expired), 'RecordAgeExceeded', invokes);
        pending = pending.slice(expired);
        continue;
      }
      const outcome = await this.invokeOnce(pending);
      invokes++;
      if (outcome.kind === 'ok') {
        await this.checkpoint(pending[pending.length - 1]!);
        return true;
      }
      if (outcome.kind === 'partial') {
        stats.partialFailures++;
        if (outcome.from > 0) await this.checkpoint(pending[outcome.from - 1]!);
        pending = pending.slice(outcome.from);
      } else {
        stats.functionErrors++;
        stats.lastError = `${this.shardId}: ${outcome.message}`;
      }
      // Splitting a failed batch does not count against the retry quota.
      if (settings.bisectBatchOnFunctionError && pending.length > 1) {
        stats.bisections++;
        const half = Math.ceil(pending.length / 2);
        return (await this.deliver(pending.slice(0, half), retries)) && (await this.deliver(pending.slice(half), retries));
      }
      retries++;
      if (settings.maximumRetryAttempts >= 0 && retries > settings.maximumRetryAttempts) {
        await this.discard(pending, 'RetryAttemptsExhausted', invokes);
        return true;
      }
      stats.retries++;
      await sleep(Math.min(MAX_BACKOFF_MS, 20 * 2 ** retries));
    }
    return true;
  }

  private expiredPrefix(records: KinesisRecord[]): number {
    const maxAge = this.ctx.settings.maximumRecordAgeSeconds;
    if (maxAge < 0) return 0;
    const oldest = Date.now() - maxAge * 1000;
    let n = 0;
    while (n < records.length && (records[n]!.ApproximateArrivalTimestamp?.getTime() ?? Infinity) < oldest) n++;
    return n;
  }

  private async discard(records: KinesisRecord[], condition: FailureCondition, invokes: number): Promise<void> {
    this.ctx.stats.onFailureBatches++;
    this.ctx.stats.onFailureRecords += records.length;
    await this.ctx.store.sendToOnFailure(onFailureRecord(this.ctx.source, this.shardId, records, condition, invokes));
    await this.checkpoint(records[records.length - 1]!);
  }

  private async checkpoint(record: KinesisRecord): Promise<void> {
    await this.ctx.store.setCheckpoint(this.shardId, record.SequenceNumber!);
  }

  private async invokeOnce(records: KinesisRecord[]): Promise<Outcome> {
    const { faults, stats } = this.ctx;
    const delivered = this.withFaults(records);
    stats.invocations++;
    stats.recordsDelivered += delivered.length;
    let response: unknown;
    try {
      response = await this.ctx.invoke(kinesisEvent(this.ctx.source, this.shardId, delivered));
    } catch (err) {
      return { kind: 'error', message: (err as Error).message };
    }
    if (faults.failRate && Math.random() < faults.failRate) {
      stats.injected.failures++;
      return { kind: 'error', message: 'injected failure after the function ran' };
    }
    const from = firstFailedIndex(records, response);
    if (from === undefined) return { kind: 'error', message: 'invalid batchItemFailures in the function response' };
    return from < 0 ? { kind: 'ok' } : { kind: 'partial', from };
  }

  private withFaults(records: KinesisRecord[]): KinesisRecord[] {
    const { faults, stats } = this.ctx;
    let delivered = records;
    if (faults.duplicateRate) {
      delivered = delivered.flatMap((r) => (Math.random() < faults.duplicateRate! ? (stats.injected.duplicates++, [r, r]) : [r]));
    }
    if (faults.reorder && delivered.length > 1) {
      stats.injected.reorders++;
      delivered = shuffle(delivered);
    }
    return delivered;
  }
}

async function listShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 100; page++) {
    const out = await client.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
      { abortSignal: AbortSignal.timeout(GET_RECORDS_TIMEOUT_MS) },
    );
    shards.push(...(out.Shards ?? []));
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return shards;
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
