import { createHash } from 'node:crypto';

/**
 * The parallelization factor of Lambda's event source mapping, as pure functions over one shard's records.
 * The rules, from "Using Lambda to process records from Amazon Kinesis Data Streams", Polling and batching
 * streams (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#kinesis-polling-and-batching) and
 * the ParallelizationFactor of CreateEventSourceMapping (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html):
 * - "Lambda can process up to 10 batches in each shard simultaneously" (1–10, default 1);
 * - "If you increase the number of concurrent batches per shard, Lambda still ensures in-order processing at
 *   the partition-key level": the records of one key are processed in shard order, whatever the factor.
 * AWS describes the mechanism as each concurrent batch holding its own partition keys, each finishing before
 * the next batch of those keys starts ("New AWS Lambda scaling controls for Kinesis and DynamoDB event
 * sources", AWS Compute Blog, 2019-11-25). Here that is a *lane*: a shard has `factor` lanes, a partition key
 * always hashes to the same lane, and a lane runs one batch at a time (retries and bisection included), so a
 * failing record holds back only its lane's keys. Which hash AWS uses is not documented; ours is MD5's last
 * 32 bits (a shard's keys share the top of the MD5 range, the low bits spread them).
 *
 * The checkpoint: a restarted mapping resumes after it, so it may pass only records that are finished
 * (processed or sent to the on-failure destination). With lanes finishing out of shard order, it is the
 * last record of the longest finished prefix; records finished beyond it are delivered again after a
 * restart, which Lambda's at-least-once delivery allows.
 */

/** One fetched record of a shard, in shard order, with where it stands. */
export interface Entry<R> {
  readonly record: R;
  readonly lane: number;
  /** When it was fetched (ms); the batching window of its lane's next batch runs from then at the earliest. */
  readonly fetchedAt: number;
  state: 'queued' | 'running' | 'done';
}

export interface BatchLimits<R> {
  batchSize: number;
  /** Lambda's synchronous payload limit: a batch ends before its event would exceed it. */
  maxBytes: number;
  sizeOf: (record: R) => number;
  windowMs: number;
}

export interface PlannedBatch<R> {
  lane: number;
  entries: Entry<R>[];
}

/** The lane of a partition key: always the same one for a key and a factor. */
export function laneOf(partitionKey: string, factor: number): number {
  if (factor <= 1) return 0;
  return createHash('md5').update(partitionKey).digest().readUInt32BE(12) % factor;
}

/**
 * The batches to start at `now`. A lane with a batch running gets none, so a key is never in two batches at
 * once; an idle lane gets its oldest queued records in shard order, up to batchSize and the payload limit,
 * once that batch is full, the shard is read to its end (`open` false), or the batching window has passed
 * since the lane could start gathering (its first queued record's fetch, or its last batch's end if later).
 * `waitMs` is how long until the next gathering lane's window ends (none if no lane is gathering).
 */
export function plan<R>(
  window: readonly Entry<R>[],
  freeSince: ReadonlyMap<number, number>,
  limits: BatchLimits<R>,
  now: number,
  open: boolean,
): { start: PlannedBatch<R>[]; waitMs?: number } {
  const running = new Set(window.filter((e) => e.state === 'running').map((e) => e.lane));
  const gathering = new Map<number, { entries: Entry<R>[]; bytes: number; full: boolean }>();
  for (const entry of window) {
    if (entry.state !== 'queued' || running.has(entry.lane)) continue;
    let batch = gathering.get(entry.lane);
    if (!batch) gathering.set(entry.lane, (batch = { entries: [], bytes: 0, full: false }));
    if (batch.full) continue;
    const size = limits.sizeOf(entry.record);
    if (batch.entries.length > 0 && batch.bytes + size > limits.maxBytes) {
      batch.full = true;
      continue;
    }
    batch.entries.push(entry);
    batch.bytes += size;
    if (batch.entries.length >= limits.batchSize) batch.full = true;
  }
  const start: PlannedBatch<R>[] = [];
  let waitMs: number | undefined;
  for (const [lane, batch] of gathering) {
    const since = Math.max(batch.entries[0]!.fetchedAt, freeSince.get(lane) ?? -Infinity);
    const left = since + limits.windowMs - now;
    if (batch.full || !open || left <= 0) start.push({ lane, entries: batch.entries });
    else waitMs = Math.min(waitMs ?? Infinity, left);
  }
  return { start, waitMs };
}

/** How many entries at the head of the window are done: the checkpoint may move to the last of them, never further. */
export function donePrefix(window: readonly Pick<Entry<unknown>, 'state'>[]): number {
  let n = 0;
  while (n < window.length && window[n]!.state === 'done') n++;
  return n;
}
