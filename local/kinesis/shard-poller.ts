import { ExpiredIteratorException, GetRecordsCommand, GetShardIteratorCommand, type _Record as KinesisRecord, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { decide, expiredPrefix, invocationResult, type InvocationResult } from './esm-decision';
import { donePrefix, laneOf, plan, type Entry, type PlannedBatch } from './esm-lanes';
import type { EsmSettings } from './esm-settings';
import type { EsmStore } from './esm-store';
import { kinesisEvent, onFailureRecord, type EventSource, type FailureCondition, type OnFailureRecord } from './kinesis-event';

/** What the mapping counts across its shards (its status). */
export interface EsmCounters {
  invocations: number;
  functionErrors: number;
  partialFailures: number;
  retries: number;
  /** Deliveries that did not reach the function (throttled), retried without spending an attempt. */
  throttles: number;
  bisections: number;
  recordsDelivered: number;
  onFailureBatches: number;
  onFailureRecords: number;
  lastError?: string;
}

export interface ShardStatus {
  shardId: string;
  checkpoint?: string;
  /** Records fetched and not yet finished. */
  buffered: number;
  /** Batches being delivered (at most parallelizationFactor). */
  batchesInFlight: number;
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

/**
 * One shard's loop: it fetches records into `window` (shard order) and starts batches on the shard's lanes
 * (esm-lanes.ts: up to parallelizationFactor batches at once, one per lane, a partition key always on the
 * same lane). The checkpoint trails the longest finished prefix of the window.
 */
export class ShardPoller {
  private window: Entry<KinesisRecord>[] = [];
  /** The batches running, by lane; each delivers until its records are finished. */
  private readonly running = new Map<number, Promise<void>>();
  /** When each lane's last batch ended (its next batching window runs from then at the earliest). */
  private readonly freeSince = new Map<number, number>();
  private iterator: string | undefined;
  private lastFetched: string | undefined;
  private millisBehindLatest: number | undefined;
  private lastPollAt: number | undefined;
  /** Ends the current wait early (set while the loop waits); `hint` for a wake-up hint, not a batch's end. */
  private wakeUp: ((hint: boolean) => void) | undefined;
  /** A wake-up hint that came while the poller was busy: the next idle wait is skipped. */
  private woken = false;
  /** A batch ended while the loop was busy: the next wait is skipped. */
  private laneEnded = false;
  emptyPolls = 0;
  ended = false;
  done: Promise<void> = Promise.resolve();

  constructor(readonly shardId: string, private readonly initial: 'TRIM_HORIZON' | 'LATEST', private readonly ctx: PollerContext) {}

  get idle(): boolean {
    return this.window.length === 0 && this.running.size === 0;
  }

  start(): void {
    this.done = this.run()
      .catch((err: Error) => {
        this.ctx.stats.lastError = `${this.shardId}: ${err.message}`;
      })
      .finally(() => Promise.all(this.running.values()));
  }

  status(): ShardStatus {
    return {
      shardId: this.shardId,
      checkpoint: this.ctx.store.checkpoint(this.shardId),
      buffered: this.window.filter((e) => e.state !== 'done').length,
      batchesInFlight: this.running.size,
      millisBehindLatest: this.millisBehindLatest,
      lastPollAt: this.lastPollAt ? new Date(this.lastPollAt).toISOString() : undefined,
      ended: this.ended,
    };
  }

  private async run(): Promise<void> {
    const { settings } = this.ctx;
    this.lastFetched = this.ctx.store.checkpoint(this.shardId);
    const limits = { batchSize: settings.batchSize, maxBytes: MAX_PAYLOAD_BYTES, sizeOf: recordBytes, windowMs: settings.maximumBatchingWindowSeconds * 1000 };
    // Enough queued records for a full batch on every lane; a lane held back by retries stops the fetching
    // once its records fill this, as the checkpoint cannot pass them anyway.
    const room = settings.parallelizationFactor * settings.batchSize;
    let open = true;
    let emptyInARow = 0;
    while (!this.ctx.stopped) {
      const queued = this.window.filter((e) => e.state === 'queued').length;
      let fetched = 0;
      if (open && queued < room) {
        const result = await this.fetch(room - queued);
        open = result.open;
        fetched = result.fetched;
        // Records found: a wake-up hint that came meanwhile has served its purpose.
        if (fetched > 0) this.woken = false;
      }
      if (this.ctx.stopped) return;
      if (this.idle) {
        if (!open) {
          this.ended = true;
          return;
        }
        // Idle: the wait grows after each empty poll, up to pollingIntervalMs (AWS: about once a second).
        // A wake-up hint restarts the short waits (a record may need a moment to become readable).
        if (await this.waitForRecords(idleWait(++emptyInARow, settings.pollingIntervalMs))) emptyInARow = 0;
        continue;
      }
      this.laneEnded = false;
      const next = plan(this.window, this.freeSince, limits, Date.now(), open);
      for (const batch of next.start) this.startBatch(batch);
      // A poll that returned records is followed by the next poll at once, as Lambda keeps reading a busy shard.
      if (fetched > 0) {
        emptyInARow = 0;
        continue;
      }
      // Nothing new: wait for a batch to end, a wake-up hint, the end of a batching window, or the next poll.
      const canPoll = open && this.window.filter((e) => e.state === 'queued').length < room;
      const pollIn = canPoll ? idleWait(++emptyInARow, settings.pollingIntervalMs) : settings.pollingIntervalMs;
      if (await this.waitForRecords(Math.min(pollIn, next.waitMs ?? Infinity))) emptyInARow = 0;
    }
  }

  /** Marks the batch running on its lane and delivers it; the lane is free again once every record is finished. */
  private startBatch({ lane, entries }: PlannedBatch<KinesisRecord>): void {
    for (const entry of entries) entry.state = 'running';
    const records = entries.map((e) => e.record);
    const delivery = this.deliver(records, 0)
      .then(() => undefined, (err: Error) => {
        this.ctx.stats.lastError = `${this.shardId}: ${err.message}`;
      })
      .finally(() => {
        this.running.delete(lane);
        this.freeSince.set(lane, Date.now());
        this.laneEnded = true;
        this.wakeUp?.(false);
      });
    this.running.set(lane, delivery);
  }

  /** Sleeps, but wakes at once when the mapping stops. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, this.ctx.signal);
  }

  /** The wait between polls: ends early on stop(), when a batch ends, or on a wake-up hint; true if woken by a hint. */
  private async waitForRecords(ms: number): Promise<boolean> {
    if (this.woken) {
      this.woken = false;
      return true;
    }
    if (this.laneEnded) {
      this.laneEnded = false;
      return false;
    }
    let hinted = false;
    try {
      await sleep(ms, this.ctx.signal, (wake) => (this.wakeUp = (hint) => ((hinted ||= hint), wake())));
      return hinted;
    } finally {
      this.wakeUp = undefined;
      this.woken = false;
      this.laneEnded = false;
    }
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp(true);
    else this.woken = true;
  }

  /** One GetRecords call for at most `limit` records; `open` false once the shard is closed and read to its end. */
  private async fetch(limit: number): Promise<{ open: boolean; fetched: number }> {
    const { client, settings } = this.ctx;
    try {
      this.iterator ??= await this.newIterator();
      const request = new GetRecordsCommand({ ShardIterator: this.iterator, Limit: Math.min(10_000, limit) });
      const out = await this.bounded((abortSignal) => client.send(request, { abortSignal }));
      const now = Date.now();
      this.lastPollAt = now;
      this.millisBehindLatest = out.MillisBehindLatest;
      const records = out.Records ?? [];
      if (records.length === 0) this.emptyPolls++;
      for (const record of records) this.window.push({ record, lane: laneOf(record.PartitionKey ?? '', settings.parallelizationFactor), fetchedAt: now, state: 'queued' });
      if (records.length > 0) this.lastFetched = records[records.length - 1]!.SequenceNumber;
      this.iterator = out.NextShardIterator;
      return { open: this.iterator !== undefined && this.iterator !== null, fetched: records.length };
    } catch (err) {
      // Expired iterators and timed-out calls: start again right after the last record fetched.
      if (err instanceof ExpiredIteratorException || (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') this.iterator = undefined;
      else this.ctx.stats.lastError = `${this.shardId}: ${(err as Error).message}`;
      await this.pause(settings.pollingIntervalMs);
      return { open: true, fetched: 0 };
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

  /** Delivers a lane's batch until it succeeds or is discarded; false if the mapping stopped first (its unfinished records stay unfinished). */
  private async deliver(records: KinesisRecord[], retries: number): Promise<boolean> {
    const { settings, stats } = this.ctx;
    let pending = records;
    let invokes = 0;
    let waits = 0;
    while (pending.length > 0) {
      if (this.ctx.stopped) return false;
      const expired = expiredPrefix(pending.map((r) => r.ApproximateArrivalTimestamp), settings.maximumRecordAgeSeconds, Date.now());
      if (expired > 0) {
        await this.discard(pending.slice(0, expired), 'RecordAgeExceeded', invokes);
        pending = pending.slice(expired);
        continue;
      }
      const result = await this.invokeOnce(pending);
      if (result.kind === 'partial') stats.partialFailures++;
      if (result.kind === 'error' || result.kind === 'not-invoked') stats.lastError = `${this.shardId}: ${result.message}`;
      if (result.kind === 'error') stats.functionErrors++;
      const next = decide(result, pending.length, retries, settings, waits);
      if (next.action === 'wait') {
        stats.throttles++;
        waits = next.waits;
        await this.pause(next.backoffMs);
        continue;
      }
      invokes++;
      waits = 0;
      if (next.action === 'checkpoint') {
        await this.finish(pending);
        return true;
      }
      if (next.from > 0) await this.finish(pending.slice(0, next.from));
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
    await this.finish(records);
  }

  /** Marks records finished and moves the checkpoint over the window's finished prefix, if it grew. */
  private async finish(records: readonly KinesisRecord[]): Promise<void> {
    const finished = new Set(records);
    for (const entry of this.window) if (finished.has(entry.record)) entry.state = 'done';
    const n = donePrefix(this.window);
    if (n === 0) return;
    const last = this.window[n - 1]!.record;
    this.window = this.window.slice(n);
    await this.ctx.store.setCheckpoint(this.shardId, last.SequenceNumber!);
  }

  private async invokeOnce(records: KinesisRecord[]): Promise<InvocationResult> {
    let response: unknown;
    try {
      response = await this.ctx.invoke(kinesisEvent(this.ctx.source, this.shardId, records));
    } catch (err) {
      // The local pool's answer when every instance is busy and its queue is full (Lambda's 429).
      if ((err as { code?: unknown }).code === 'Throttled') return { kind: 'not-invoked', message: (err as Error).message };
      this.ctx.stats.invocations++;
      return { kind: 'error', message: (err as Error).message };
    }
    this.ctx.stats.invocations++;
    return invocationResult(records, response);
  }
}

/** A record's share of an event: its data in base64 plus the envelope. */
function recordBytes(record: KinesisRecord): number {
  return Math.ceil((record.Data?.length ?? 0) / 3) * 4 + RECORD_ENVELOPE_BYTES;
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
