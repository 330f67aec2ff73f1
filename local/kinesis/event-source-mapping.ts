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
import { CHANGE_CONSUMER } from '../../topology';
import { EsmStore } from './esm-store';
import { firstFailedIndex, kinesisEvent, onFailureRecord, type EventSource, type FailureCondition, type OnFailureRecord } from './kinesis-event';
import { kinesisClient } from './index';

export interface EsmSettings {
  /** Records per invocation at most: 1–10,000, as on AWS for Kinesis (one GetRecords returns at most 10,000). */
  batchSize: number;
  /** How long to gather records before invoking (0–300 s); 0 invokes as soon as a poll returns records. */
  maximumBatchingWindowSeconds: number;
  bisectBatchOnFunctionError: boolean;
  /** -1 = retry until the record expires; else 0–10,000. */
  maximumRetryAttempts: number;
  /** -1 = no age limit; else 60–604,800 s. */
  maximumRecordAgeSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /**
   * Local only: the longest wait between polls of an idle shard. After a poll that returned records the
   * shard is polled again at once; after empty polls the wait grows from a few ms up to this.
   */
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
  /** Told of every batch sent to the on-failure destination, with its records (to mark their traces). */
  onDiscard?: (records: readonly KinesisRecord[], failure: OnFailureRecord) => void;
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
  /** The settings in effect (defaults merged with the options). */
  settings: EsmSettings;
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
  /**
   * Local hint that records were just put on a shard: an idle poller polls at once instead of finishing
   * its wait. Only shortens the wait; polling alone still finds every record.
   */
  wake(shardId: string): void;
  stop(): Promise<void>;
}

const GET_RECORDS_TIMEOUT_MS = 3_000;
const MAX_BACKOFF_MS = 1_000;
/** First wait after an empty poll; it doubles with each further empty poll, up to pollingIntervalMs. */
const FIRST_IDLE_WAIT_MS = 5;
/** Lambda's synchronous invocation payload limit: a batch ends before its event would exceed it. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Rough size of one event record without its data (ARNs, ids, sequence number). */
const RECORD_ENVELOPE_BYTES = 600;

/** Defaults (topology's CHANGE_CONSUMER) merged with `overrides`, checked against the limits AWS enforces. */
export function esmSettings(overrides: Partial<EsmSettings> = {}): EsmSettings {
  const settings: EsmSettings = {
    batchSize: CHANGE_CONSUMER.batchSize,
    maximumBatchingWindowSeconds: CHANGE_CONSUMER.maximumBatchingWindowSeconds,
    bisectBatchOnFunctionError: CHANGE_CONSUMER.bisectBatchOnFunctionError,
    maximumRetryAttempts: CHANGE_CONSUMER.maximumRetryAttempts,
    maximumRecordAgeSeconds: CHANGE_CONSUMER.maximumRecordAgeSeconds,
    startingPosition: CHANGE_CONSUMER.startingPosition,
    pollingIntervalMs: CHANGE_CONSUMER.pollingIntervalMs,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`Invalid event source mapping setting: ${what}`);
  };
  const int = (n: number) => Number.isInteger(n);
  check(int(settings.batchSize) && settings.batchSize >= 1 && settings.batchSize <= 10_000, `batchSize ${settings.batchSize} (1–10000)`);
  check(Number.isFinite(settings.maximumBatchingWindowSeconds) && settings.maximumBatchingWindowSeconds >= 0 && settings.maximumBatchingWindowSeconds <= 300, `maximumBatchingWindowSeconds ${settings.maximumBatchingWindowSeconds} (0–300)`);
  check(int(settings.maximumRetryAttempts) && settings.maximumRetryAttempts >= -1 && settings.maximumRetryAttempts <= 10_000, `maximumRetryAttempts ${settings.maximumRetryAttempts} (-1–10000)`);
  // AWS accepts -1 or 60–604800; shorter ages are allowed locally so tests need not wait a minute.
  check(int(settings.maximumRecordAgeSeconds) && settings.maximumRecordAgeSeconds >= -1 && settings.maximumRecordAgeSeconds <= 604_800, `maximumRecordAgeSeconds ${settings.maximumRecordAgeSeconds} (-1–604800)`);
  check(settings.startingPosition === 'TRIM_HORIZON' || settings.startingPosition === 'LATEST', `startingPosition ${settings.startingPosition}`);
  check(Number.isFinite(settings.pollingIntervalMs) && settings.pollingIntervalMs >= 1 && settings.pollingIntervalMs <= 60_000, `pollingIntervalMs ${settings.pollingIntervalMs} (1–60000)`);
  return settings;
}

/**
 * Lambda's event source mapping for Kinesis, per shard and in order: poll, batch (size and window),
 * invoke, and on error retry from the lowest failed sequence number (ReportBatchItemFailures), bisect,
 * give up after the retry or age limit by sending the batch's description to the on-failure destination,
 * and checkpoint after each finished batch.
 */
export async function startEventSourceMapping(options: EventSourceMappingOptions): Promise<EventSourceMapping> {
  const settings = esmSettings(options.settings);
  const source: EventSource = {
    region: process.env.AWS_REGION ?? 'us-east-1',
    accountId: '000000000000',
    streamName: options.streamName,
    functionName: options.functionName ?? 'replicator',
  };
  const client = kinesisClient(options.kinesisEndpoint);
  const store = await EsmStore.open(options.dataDir, options.streamName);
  const stats: Omit<EsmStatus, 'streamName' | 'running' | 'settings' | 'shards'> = {
    invocations: 0, functionErrors: 0, partialFailures: 0, retries: 0, bisections: 0, recordsDelivered: 0,
    onFailureBatches: 0, onFailureRecords: 0, injected: { duplicates: 0, reorders: 0, failures: 0 },
  };
  const pollers = new Map<string, ShardPoller>();
  // Aborted by stop(): wakes every sleeping loop and cancels GetRecords calls in flight.
  const stopping = new AbortController();
  const context: PollerContext = { client, store, settings, source, stats, faults: options.faults ?? {}, invoke: options.invoke, onDiscard: options.onDiscard, stopped: false, signal: stopping.signal };

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
      settings: { ...settings },
      shards: [...pollers.values()].map((p) => p.status()),
      ...stats,
      injected: { ...stats.injected },
    }),
    failures: () => [...store.failures],
    wake: (shardId) => pollers.get(shardId)?.wake(),
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
      stopping.abort();
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
  stats: Omit<EsmStatus, 'streamName' | 'running' | 'settings' | 'shards'>;
  faults: EsmFaults;
  invoke: (event: KinesisStreamEvent) => Promise<unknown>;
  onDiscard?: EventSourceMappingOptions['onDiscard'];
  stopped: boolean;
  signal: AbortSignal;
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
  /** Ends the current idle wait early (set while the poller waits for records). */
  private wakeUp: (() => void) | undefined;
  /** A wake-up that came while the poller was busy: the next idle wait is skipped. */
  private woken = false;
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
    const windowMs = settings.maximumBatchingWindowSeconds * 1000;
    let open = true;
    let emptyInARow = 0;
    // When the first record of the batch being gathered was fetched (the batching window runs from it).
    let gatheringSince: number | undefined;
    while (!this.ctx.stopped) {
      let fetched = 0;
      if (open && this.buffer.length < settings.batchSize) {
        const before = this.buffer.length;
        open = await this.fetch();
        fetched = this.buffer.length - before;
        // Records found: a wake-up hint that came meanwhile has served its purpose.
        if (fetched > 0) this.woken = false;
      }
      if (this.buffer.length === 0) {
        if (!open) {
          this.ended = true;
          return;
        }
        // Idle: the wait grows after each empty poll, up to pollingIntervalMs (AWS: about once a second).
        // A wake-up hint restarts the short waits (a record may need a moment to become readable).
        if (await this.waitForRecords(idleWait(++emptyInARow, settings.pollingIntervalMs))) emptyInARow = 0;
        continue;
      }
      gatheringSince ??= Date.now();
      const size = this.nextBatchSize();
      const full = size >= settings.batchSize || size < this.buffer.length;
      const waited = Date.now() - gatheringSince;
      if (!full && open && waited < windowMs) {
        // Gathering within the window: poll again at once while records keep coming, else wait a little.
        emptyInARow = fetched > 0 ? 0 : emptyInARow + 1;
        if (fetched === 0) await this.pause(Math.min(idleWait(emptyInARow, settings.pollingIntervalMs), windowMs - waited));
        continue;
      }
      // A poll that returned records is followed by the next poll at once, as Lambda keeps reading a busy shard.
      emptyInARow = 0;
      const batch = this.buffer.slice(0, size);
      this.delivering = true;
      const finished = await this.deliver(batch, 0).finally(() => (this.delivering = false));
      if (!finished) return;
      this.buffer = this.buffer.slice(batch.length);
      gatheringSince = this.buffer.length > 0 ? Date.now() : undefined;
    }
  }

  /** Records for the next invocation: at most batchSize, and an event within Lambda's 6 MB payload limit. */
  private nextBatchSize(): number {
    let bytes = 0;
    let n = 0;
    for (const record of this.buffer) {
      if (n >= this.ctx.settings.batchSize) break;
      const size = Math.ceil((record.Data?.length ?? 0) / 3) * 4 + RECORD_ENVELOPE_BYTES;
      if (n > 0 && bytes + size > MAX_PAYLOAD_BYTES) break;
      bytes += size;
      n++;
    }
    return n;
  }

  /** Sleeps, but wakes at once when the mapping stops. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, this.ctx.signal);
  }

  /** The wait between empty polls: ends early on stop() or on a wake-up hint; true if woken by a hint. */
  private async waitForRecords(ms: number): Promise<boolean> {
    if (this.woken) {
      this.woken = false;
      return true;
    }
    let hinted = false;
    try {
      await sleep(ms, this.ctx.signal, (wake) => (this.wakeUp = () => ((hinted = true), wake())));
      return hinted;
    } finally {
      this.wakeUp = undefined;
      this.woken = false;
    }
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  /** One GetRecords call (for at most the room left in the batch); false once the shard is closed and read to its end. */
  private async fetch(): Promise<boolean> {
    const { client, settings } = this.ctx;
    try {
      this.iterator ??= await this.newIterator();
      const request = new GetRecordsCommand({ ShardIterator: this.iterator, Limit: Math.min(10_000, settings.batchSize - this.buffer.length) });
      const out = await this.bounded((abortSignal) => client.send(request, { abortSignal }));
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
      await this.pause(settings.pollingIntervalMs);
      return true;
    }
  }

  /** Every Kinesis call is bounded (kinesalite can hang) and cancelled by stop(); the timer and listener go with the call. */
  private async bounded<T>(call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    const timer = setTimeout(abort, GET_RECORDS_TIMEOUT_MS);
    this.ctx.signal.addEventListener('abort', abort, { once: true });
    try {
      return await call(controller.signal);
    } finally {
      clearTimeout(timer);
      this.ctx.signal.removeEventListener('abort', abort);
    }
  }

  private async newIterator(): Promise<string> {
    const position = this.lastFetched
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: this.lastFetched }
      : { ShardIteratorType: this.initial };
    const request = new GetShardIteratorCommand({ StreamName: this.ctx.source.streamName, ShardId: this.shardId, ...position });
    const out = await this.bounded((abortSignal) => this.ctx.client.send(request, { abortSignal }));
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
      await this.pause(Math.min(MAX_BACKOFF_MS, 20 * 2 ** retries));
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
    const failure = onFailureRecord(this.ctx.source, this.shardId, records, condition, invokes);
    await this.ctx.store.sendToOnFailure(failure);
    this.ctx.onDiscard?.(records, failure);
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

/** The wait after the n-th empty poll in a row: 5, 10, 20 … ms, at most `max`. */
function idleWait(n: number, max: number): number {
  return Math.min(max, FIRST_IDLE_WAIT_MS * 2 ** Math.min(n - 1, 20));
}

/** Resolves after `ms`, or at once when `signal` aborts or the function handed to `early` is called. */
function sleep(ms: number, signal?: AbortSignal, early?: (wake: () => void) => void): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    early?.(done);
  });
}
