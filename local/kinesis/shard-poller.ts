import { ExpiredIteratorException, GetRecordsCommand, GetShardIteratorCommand, type _Record as KinesisRecord, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { decide, expiredPrefix, invocationResult, type InvocationResult } from './esm-decision';
import type { EsmSettings } from './esm-settings';
import type { EsmStore } from './esm-store';
import { kinesisEvent, onFailureRecord, type EventSource, type FailureCondition, type OnFailureRecord } from './kinesis-event';

/** What the mapping counts across its shards (its status). */
export interface EsmCounters {
  invocations: number;
  functionErrors: number;
  partialFailures: number;
  retries: number;
  bisections: number;
  recordsDelivered: number;
  onFailureBatches: number;
  onFailureRecords: number;
  lastError?: string;
}

export interface ShardStatus {
  shardId: string;
  checkpoint?: string;
  buffered: number;
  millisBehindLatest?: number;
  lastPollAt?: string;
  ended: boolean;
}

export const GET_RECORDS_TIMEOUT_MS = 3_000;
/** First wait after an empty poll; it doubles with each further empty poll, up to pollingIntervalMs. */
const FIRST_IDLE_WAIT_MS = 5;
/** Lambda's synchronous invocation payload limit: a batch ends before its event would exceed it. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Rough size of one event record without its data (ARNs, ids, sequence number). */
const RECORD_ENVELOPE_BYTES = 600;

export interface PollerContext {
  onDiscard?: (records: readonly KinesisRecord[], failure: OnFailureRecord) => void;
  client: KinesisClient;
  store: EsmStore;
  settings: EsmSettings;
  source: EventSource;
  stats: EsmCounters;
  invoke: (event: KinesisStreamEvent) => Promise<unknown>;
  stopped: boolean;
  signal: AbortSignal;
}

/** One shard's loop. Records fetched but not yet finished wait in `buffer`; the checkpoint trails them. */
export class ShardPoller {
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
      const expired = expiredPrefix(pending.map((r) => r.ApproximateArrivalTimestamp), settings.maximumRecordAgeSeconds, Date.now());
      if (expired > 0) {
        await this.discard(pending.slice(0, expired), 'RecordAgeExceeded', invokes);
        pending = pending.slice(expired);
        continue;
      }
      const result = await this.invokeOnce(pending);
      invokes++;
      if (result.kind === 'partial') stats.partialFailures++;
      if (result.kind === 'error') {
        stats.functionErrors++;
        stats.lastError = `${this.shardId}: ${result.message}`;
      }
      const next = decide(result, pending.length, retries, settings);
      if (next.action === 'checkpoint') {
        await this.checkpoint(pending[pending.length - 1]!);
        return true;
      }
      if (next.from > 0) await this.checkpoint(pending[next.from - 1]!);
      pending = pending.slice(next.from);
      if (next.action === 'bisect') {
        stats.bisections++;
        return (await this.deliver(pending.slice(0, next.half), retries)) && (await this.deliver(pending.slice(next.half), retries));
      }
      if (next.action === 'discard') {
        await this.discard(pending, next.condition, invokes);
        return true;
      }
      retries = next.retries;
      stats.retries++;
      await this.pause(next.backoffMs);
    }
    return true;
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

  private async invokeOnce(records: KinesisRecord[]): Promise<InvocationResult> {
    this.ctx.stats.invocations++;
    let response: unknown;
    try {
      response = await this.ctx.invoke(kinesisEvent(this.ctx.source, this.shardId, records));
    } catch (err) {
      return { kind: 'error', message: (err as Error).message };
    }
    return invocationResult(records, response);
  }
}

/** The wait after the n-th empty poll in a row: 5, 10, 20 … ms, at most `max`. */
function idleWait(n: number, max: number): number {
  return Math.min(max, FIRST_IDLE_WAIT_MS * 2 ** Math.min(n - 1, 20));
}

/** Resolves after `ms`, or at once when `signal` aborts or the function handed to `early` is called. */
export function sleep(ms: number, signal?: AbortSignal, early?: (wake: () => void) => void): Promise<void> {
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
