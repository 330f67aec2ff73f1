import { BatchWriteItemCommand, DescribeTableCommand, GetItemCommand, PutItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { countChange, isTombstone, project, rowState, tombstone } from '../../lambdas/replicator/apply-change';
import type { AttributeMap } from '../../topology/change-record';
import { DynamoDbReplicaStore } from '../../lambdas/replicator/replica-store';
import { StateRepository } from '../../lambdas/replicator/state-repository';
import { isConditionalCheckFailed } from '../../lambdas/shared/errors';
import { keyNamesOf } from '../../local/dynamodb/streaming-destination';
import { canonical, keyOf } from '../../local/dynamodb/streaming-record';
import { replicaFeed, TOMBSTONE_ATTRIBUTE, VERSION_ATTRIBUTE, type ReadModel, type ReplicaFeed } from '../../topology/index';

/** A replica feed (topology's `ReplicaFeed`) as `npm run replicas` works on it. */
export interface NamedReplicaFeed extends ReplicaFeed {
  /** Name shown in output (logical name locally). */
  name: string;
  /** The replication-state table, whose row counts (what `GET /api/replication` reports) backfill corrects. */
  stateTable?: string;
}

/** The feed of one topology or config replica, with physical names. */
export function namedReplicaFeed(replica: { name: string; source: string; readModel: ReadModel }, physical: (logical: string) => string, stateTable?: string): NamedReplicaFeed {
  return { name: replica.name, ...replicaFeed(replica, physical), ...(stateTable ? { stateTable } : {}) };
}

/** The shard id under which backfill records its corrections in the replication-state table. */
export const BACKFILL_SHARD = 'backfill';
const MAX_PAGES = 100_000;

/** Every item of a table, page by page (bounded), in wire format. */
export async function* scanAll(client: DynamoDBClient, table: string): AsyncGenerator<AttributeMap[]> {
  let start: AttributeMap | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, Limit: 200, ConsistentRead: true }));
    yield out.Items ?? [];
    start = out.LastEvaluatedKey;
    if (!start) return;
  }
}

export async function tableKeyNames(client: DynamoDBClient, table: string): Promise<string[]> {
  const out = await client.send(new DescribeTableCommand({ TableName: table }));
  return keyNamesOf(out.Table?.KeySchema);
}

/** The phases of one backfill, in order; one progress bar runs through all of them. */
export type BackfillPhase = 'count' | 'read-replica' | 'copy' | 'repair' | 'sweep' | 'done';

export interface BackfillProgress {
  phase: BackfillPhase;
  /** Work done and to do, in item reads: the replica's rows, the source's items, then the sweep's checks. */
  done: number;
  /** From a count pass (Scan with Select COUNT), never DescribeTable's ItemCount; grows by the sweep's checks once known. */
  total: number;
  /** Items the source held when counted. */
  sourceItems: number;
  scanned: number;
  written: number;
  skipped: number;
  tombstoned: number;
  invalid: number;
  /** Replica rows that held attributes outside the read model (written before it existed), rewritten without them. */
  scrubbed: number;
  elapsedMs: number;
  itemsPerSec: number;
  /** Estimated time left at the rate so far; null until there is a rate. */
  etaMs: number | null;
}

/**
 * Scan segments and concurrent writes. dynalite answers one request at a time per connection, but
 * serves several connections in parallel (measured: ~1,100 conditional PutItem/s sequential, ~2,800/s
 * at concurrency 32); DynamoDB spreads parallel Scan segments over partitions ("Parallel scan",
 * DynamoDB developer guide).
 */
export const SEGMENTS = 4;
/** The version of a tombstone whose deleted version is unknown (see the repair step): higher than any change's. */
export const DELETED_FOR_GOOD = Number.MAX_SAFE_INTEGER;
export const WRITE_CONCURRENCY = 32;

/** Every item of one segment of a parallel scan, page by page (bounded), in wire format. */
async function* scanSegment(client: DynamoDBClient, table: string, segment: number, segments: number): AsyncGenerator<AttributeMap[]> {
  let start: AttributeMap | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, Segment: segment, TotalSegments: segments, ConsistentRead: true }));
    yield out.Items ?? [];
    start = out.LastEvaluatedKey;
    if (!start) return;
  }
}

/** Calls `onPage` for every page of a parallel scan, segments running concurrently. */
export async function parallelScan(client: DynamoDBClient, table: string, onPage: (items: AttributeMap[]) => Promise<void> | void, segments = SEGMENTS): Promise<void> {
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      for await (const page of scanSegment(client, table, segment, segments)) await onPage(page);
    }),
  );
}

/**
 * A table's exact item count: a parallel Scan with `Select: COUNT` (DynamoDB counts the items it reads,
 * returning no attributes). DescribeTable's ItemCount is no substitute: DynamoDB "updates this value
 * approximately every six hours" (DescribeTable API reference) and dynalite always answers 0.
 */
export async function countItems(client: DynamoDBClient, table: string, segments = SEGMENTS): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let count = 0;
      let start: AttributeMap | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start, Segment: segment, TotalSegments: segments, ConsistentRead: true }));
        count += out.Count ?? 0;
        start = out.LastEvaluatedKey;
        if (!start) break;
      }
      return count;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Runs tasks with at most `limit` in flight; `drain` waits for all of them and rethrows the first failure. */
function pool(limit: number) {
  const running = new Set<Promise<void>>();
  let failure: unknown;
  return {
    async run(task: () => Promise<void>): Promise<void> {
      while (running.size >= limit) await Promise.race(running);
      if (failure) throw failure;
      const p: Promise<void> = task()
        .catch((err) => {
          failure ??= err;
        })
        .finally(() => running.delete(p));
      running.add(p);
    },
    async drain(): Promise<void> {
      await Promise.all(running);
      if (failure) throw failure;
    },
  };
}

/**
 * Seeds a replica from its source in one pass, as fast as the table serves parallel requests:
 *
 * 1. count: both tables, Scan with Select COUNT (the progress total);
 * 2. read-replica: a parallel scan of the replica remembers each row;
 * 3. copy: a parallel scan of the source; every item the replica lacks or holds older goes out in
 *    BatchWriteItem (25 items a request), rows holding more than the read model at the same version
 *    are scrubbed with a conditional PutItem, and current rows are not written at all;
 * 4. repair: source and replica are scanned again (parallel, consistent) and every written key whose
 *    source a newer change had reached, or whose item is gone, is written again with the replicator's
 *    conditional write (the newer item, or a tombstone);
 * 5. sweep: live rows read in step 2 whose item the source scan never met become tombstones.
 *
 * Why batch writes followed by a repair, and not conditional PutItem per item: a batch write takes no
 * condition expression (BatchWriteItem API reference: "BatchWriteItem does not support condition
 * expressions"), but on dynalite it costs a tenth of the requests and about a tenth of the time per item
 * (measured here: ~1,000 items/s with BatchWriteItem, 100–180/s with conditional PutItem on a busy
 * machine). The overwrite it can cause is bounded: it can only replace a change the stream applied
 * between step 2 and the batch, and such a change is already in the source when step 4 reads it, so
 * step 4 writes it (or a newer one) back with the version condition, and every later change arrives
 * through the replicator's own conditional write. An item deleted meanwhile is absent from the source in
 * step 4. If the overwritten change was that item's delete, its version is lost with the tombstone the
 * batch replaced, and an older change of the item, still newer than the scanned copy, may yet arrive
 * (records "might appear in a different sequence", per the DynamoDB Kinesis streaming destination docs):
 * so step 4 writes that item's tombstone at the highest version (`DELETED_FOR_GOOD`; keys are never
 * re-created), and no late change resurrects it.
 * Finally the row counts in the replication-state table are corrected to what the replica holds.
 */
export async function backfill(client: DynamoDBClient, feed: NamedReplicaFeed, onProgress: (p: BackfillProgress) => void = () => {}, nowMs: () => number = Date.now): Promise<BackfillProgress> {
  const startedAt = nowMs();
  const store = new DynamoDbReplicaStore(client);
  const state = feed.stateTable ? new StateRepository(client, feed.stateTable) : undefined;
  const keyNames = await tableKeyNames(client, feed.source);
  const id = (item: AttributeMap) => canonical(keyOf(item, keyNames));
  const progress: BackfillProgress = { phase: 'count', done: 0, total: 0, sourceItems: 0, scanned: 0, written: 0, skipped: 0, tombstoned: 0, invalid: 0, scrubbed: 0, elapsedMs: 0, itemsPerSec: 0, etaMs: null };
  let lastReport = 0;
  const report = (force = false) => {
    const now = nowMs();
    progress.elapsedMs = now - startedAt;
    progress.itemsPerSec = progress.elapsedMs > 0 ? Math.round((progress.done * 1000) / progress.elapsedMs) : 0;
    progress.etaMs = progress.itemsPerSec > 0 ? Math.round(((progress.total - progress.done) * 1000) / progress.itemsPerSec) : null;
    if (!force && now - lastReport < 100) return;
    lastReport = now;
    onProgress({ ...progress });
    published.publish({ ...progress }, now);
  };
  // The replication view shows a backfill under way from this row: one write in flight at a time, the latest wins.
  const published = latestOnly((p: BackfillProgress, at: number) => (state ? state.recordBackfill(feed.replica, feed.source, p, at) : Promise.resolve()));
  report(true);

  const [sourceItems, replicaRows] = await Promise.all([countItems(client, feed.source), countItems(client, feed.replica)]);
  Object.assign(progress, { sourceItems, total: sourceItems + replicaRows, phase: 'read-replica' });
  const recordedAtStart = state ? await recordedRows(state, feed.replica) : { rows: 0, tombstoneRows: 0 };
  report(true);

  const held = new Map<string, AttributeMap>();
  await parallelScan(client, feed.replica, (page) => {
    for (const row of page) held.set(id(row), row);
    progress.done += page.length;
    report();
  });
  const counted = { rows: 0, tombstoneRows: 0 };
  for (const row of held.values()) isTombstone(row) ? counted.tombstoneRows++ : counted.rows++;
  // What the counts should move by: the replica's rows as read, minus what was recorded, plus each write's effect.
  const correction = { rows: counted.rows - recordedAtStart.rows, tombstoneRows: counted.tombstoneRows - recordedAtStart.tombstoneRows };
  const applyDelta = (delta: { rows: number; tombstoneRows: number }) => {
    correction.rows += delta.rows;
    correction.tombstoneRows += delta.tombstoneRows;
  };

  progress.phase = 'copy';
  progress.total = Math.max(progress.total, progress.done + sourceItems);
  report(true);
  const seen = new Set<string>();
  const writes = pool(WRITE_CONCURRENCY);
  const batches = pool(BATCH_CONCURRENCY);
  /** Written by BatchWriteItem, unconditionally: checked against the source in the repair phase. */
  const unchecked = new Map<string, { keys: AttributeMap; version: number }>();
  const putTombstone = async (keys: AttributeMap, version: number) => {
    const marker = tombstone(keys, version, nowMs());
    const before = await store.putIfNewer(feed.replica, marker, version);
    if (before !== undefined) {
      progress.tombstoned++;
      applyDelta(countChange(before, marker));
    }
  };
  let batch: AttributeMap[] = [];
  const flush = async () => {
    const items = batch;
    batch = [];
    if (items.length > 0) await batches.run(() => batchPut(client, feed.replica, items));
  };
  await parallelScan(client, feed.source, async (page) => {
    for (const item of page) {
      const key = id(item);
      seen.add(key);
      const version = Number(item[VERSION_ATTRIBUTE]?.N);
      const copy = held.get(key);
      progress.done++;
      progress.scanned++;
      progress.total = Math.max(progress.total, progress.done);
      if (!Number.isSafeInteger(version) || version < 1) {
        progress.invalid++;
        continue;
      }
      const keys = keyOf(item, keyNames);
      const projected = project(item, keys, feed.attributes);
      const held_ = Number(copy?.[VERSION_ATTRIBUTE]?.N ?? 0);
      if ((copy && canonical(copy) === canonical(projected)) || held_ > version || (held_ === version && isTombstone(copy))) {
        progress.skipped++;
        continue;
      }
      if (copy && !isTombstone(copy) && held_ === version) {
        // Same version, other attributes: a row written before the read model existed.
        await writes.run(async () => {
          if (await scrub(client, feed, copy, keys, version)) progress.scrubbed++;
          else progress.skipped++;
        });
        continue;
      }
      progress.written++;
      applyDelta(countChange(rowState(copy), projected));
      unchecked.set(key, { keys, version });
      batch.push(projected);
      if (batch.length === BATCH_ITEMS) await flush();
    }
    report();
  });
  await flush();
  await batches.drain();
  await writes.drain();

  // Repair: a change the stream applied between the replica read and a batch write was overwritten by
  // the older scanned copy. The source, scanned again (consistently) after the batches, holds that change
  // or a newer one, so writing it back with the version condition restores "a newer change always wins".
  // Scans, not BatchGetItem: on dynalite a scan page is far cheaper per item than a batch of gets.
  progress.phase = 'repair';
  progress.total = progress.done + unchecked.size * 2;
  report(true);
  const again = { source: new Map<string, AttributeMap>(), replica: new Map<string, AttributeMap>() };
  const collect = (into: Map<string, AttributeMap>) => (page: AttributeMap[]) => {
    for (const row of page) {
      const key = id(row);
      if (!unchecked.has(key)) continue;
      into.set(key, row);
      progress.done++;
    }
    report();
  };
  if (unchecked.size > 0) await Promise.all([parallelScan(client, feed.source, collect(again.source)), parallelScan(client, feed.replica, collect(again.replica))]);
  progress.total = progress.done;
  for (const [key, { keys, version }] of unchecked) {
    const current = again.source.get(key);
    const row = again.replica.get(key);
    const rowVersion = Number(row?.[VERSION_ATTRIBUTE]?.N ?? 0);
    if (current) {
      const currentVersion = Number(current[VERSION_ATTRIBUTE]?.N);
      const projected = project(current, keys, feed.attributes);
      if (row && rowVersion >= currentVersion && (isTombstone(row) || canonical(row) === canonical(projected))) continue;
      await writes.run(async () => {
        const before = await store.putIfNewer(feed.replica, projected, currentVersion);
        if (before !== undefined) applyDelta(countChange(before, projected));
      });
    } else if (!isTombstone(row)) {
      // Deleted after the scan read it. The batch write may have replaced the replicator's tombstone, and
      // with it the deleted version, so a change older than the delete could still win over a tombstone
      // at the copy's version; keys are never re-created, so the item is gone for good and its tombstone
      // takes the highest version, which no change of it can beat.
      await writes.run(() => putTombstone(keys, DELETED_FOR_GOOD));
    }
  }
  await writes.drain();

  // Sweep: a live row read in step 2 whose item the consistent source scan (which began after it) never
  // met was deleted meanwhile (keys are never re-created), so it becomes a tombstone at its own version.
  progress.phase = 'sweep';
  const orphans = [...held.entries()].filter(([key, row]) => !seen.has(key) && !isTombstone(row)).map(([, row]) => row);
  progress.total = progress.done + orphans.length;
  report(true);
  for (const row of orphans) {
    await writes.run(async () => {
      await putTombstone(keyOf(row, keyNames), Number(row[VERSION_ATTRIBUTE]?.N ?? 0));
      progress.done++;
      report();
    });
  }
  await writes.drain();

  progress.phase = 'done';
  if (state) await correctCounts(state, feed, correction, progress);
  report(true);
  await published.flush();
  return { ...progress };
}

/** Sends values one at a time, dropping those overtaken while a send is in flight; `flush` waits for the last. */
function latestOnly<T extends unknown[]>(send: (...args: T) => Promise<void>) {
  let inFlight: Promise<void> | undefined;
  let next: T | undefined;
  let failure: unknown;
  const pump = async (): Promise<void> => {
    while (next) {
      const args = next;
      next = undefined;
      await send(...args).catch((err) => {
        failure ??= err;
      });
    }
    inFlight = undefined;
  };
  return {
    publish(...args: T): void {
      next = args;
      inFlight ??= pump();
    },
    async flush(): Promise<void> {
      await inFlight;
      if (failure) throw failure;
    },
  };
}

const BATCH_ITEMS = 25;
const BATCH_CONCURRENCY = 4;
const MAX_BATCH_ATTEMPTS = 10;

/** BatchWriteItem (at most 25 puts), retrying what DynamoDB leaves unprocessed with a growing pause. */
async function batchPut(client: DynamoDBClient, table: string, items: AttributeMap[]): Promise<void> {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt >= MAX_BATCH_ATTEMPTS) throw new Error(`BatchWriteItem left ${requests.length} item(s) unprocessed in ${table}`);
    if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
  }
}

async function recordedRows(state: StateRepository, replica: string): Promise<{ rows: number; tombstoneRows: number }> {
  const shards = await state.shardsOf(replica);
  return { rows: shards.reduce((n, s) => n + s.rows, 0), tombstoneRows: shards.reduce((n, s) => n + s.tombstoneRows, 0) };
}

/** Rewrites a live row without the attributes outside its read model, unless a newer change replaced it meanwhile. */
async function scrub(client: DynamoDBClient, feed: NamedReplicaFeed, row: AttributeMap, key: AttributeMap, version: number): Promise<boolean> {
  const projected = project(row, key, feed.attributes);
  if (Object.keys(projected).length === Object.keys(row).length) return false;
  try {
    await client.send(
      new PutItemCommand({
        TableName: feed.replica,
        Item: projected,
        ConditionExpression: '#v = :v AND attribute_not_exists(#d)',
        ExpressionAttributeNames: { '#v': VERSION_ATTRIBUTE, '#d': TOMBSTONE_ATTRIBUTE },
        ExpressionAttributeValues: { ':v': { N: String(version) } },
      }),
    );
    return true;
  } catch (err) {
    // A newer change replaced the row: the replicator wrote it projected already.
    if (isConditionalCheckFailed(err)) return false;
    throw err;
  }
}

/**
 * The replicator keeps row counts as exact per-write changes; they drift only through what it never
 * sees (tombstones expired by TTL, rows written before the counts existed, a lost progress write). The
 * correction is exact on a quiet replica; changes applied between the count read and the replica scan
 * can leave it off by those.
 */
async function correctCounts(state: StateRepository, feed: NamedReplicaFeed, correction: { rows: number; tombstoneRows: number }, progress: BackfillProgress): Promise<void> {
  await state.record({
    replica: feed.replica,
    source: feed.source,
    shardId: BACKFILL_SHARD,
    applied: progress.written + progress.tombstoned + progress.scrubbed,
    skipped: progress.skipped,
    tombstones: progress.tombstoned,
    failed: 0,
    rows: correction.rows,
    tombstoneRows: correction.tombstoneRows,
  });
}

export type DifferenceKind = 'missing' | 'stale' | 'different' | 'not-deleted' | 'outside-read-model';

export interface Difference {
  replica: string;
  kind: DifferenceKind;
  key: AttributeMap;
  sourceVersion?: number;
  replicaVersion?: number;
}

/**
 * Compares a source with its replica item by item: live source items must be copied exactly as their
 * projection onto the read model, deleted ones absent or tombstoned.
 */
export async function compare(client: DynamoDBClient, feed: NamedReplicaFeed): Promise<Difference[]> {
  const keyNames = await tableKeyNames(client, feed.source);
  const id = (item: AttributeMap) => canonical(keyOf(item, keyNames));
  const source = new Map<string, AttributeMap>();
  for await (const page of scanAll(client, feed.source)) for (const item of page) source.set(id(item), item);
  const replica = new Map<string, AttributeMap>();
  for await (const page of scanAll(client, feed.replica)) for (const item of page) replica.set(id(item), item);
  const differences: Difference[] = [];
  for (const [key, item] of source) {
    const copy = replica.get(key);
    const diff = differenceOf(feed, keyOf(item, keyNames), item, copy);
    if (diff) differences.push(diff);
  }
  for (const [key, copy] of replica) {
    if (!source.has(key) && !isTombstone(copy)) differences.push(differenceOf(feed, keyOf(copy, keyNames), undefined, copy)!);
  }
  return differences;
}

export function differenceOf(feed: Pick<NamedReplicaFeed, 'name' | 'attributes'>, key: AttributeMap, item: AttributeMap | undefined, copy: AttributeMap | undefined): Difference | undefined {
  const sourceVersion = item ? Number(item[VERSION_ATTRIBUTE]?.N) : undefined;
  const replicaVersion = copy ? Number(copy[VERSION_ATTRIBUTE]?.N) : undefined;
  const base = { replica: feed.name, key, sourceVersion, replicaVersion };
  if (!item) return copy && !isTombstone(copy) ? { ...base, kind: 'not-deleted' } : undefined;
  if (!copy || isTombstone(copy)) return { ...base, kind: 'missing' };
  const expected = project(item, key, feed.attributes);
  if (canonical(expected) === canonical(copy)) return undefined;
  // A row holding more than its read model is a leak, whatever its version: report it as such.
  if (Object.keys(copy).length > Object.keys(project(copy, key, feed.attributes)).length) return { ...base, kind: 'outside-read-model' };
  return { ...base, kind: (replicaVersion ?? 0) < (sourceVersion ?? 0) ? 'stale' : 'different' };
}

/** Re-reads the differing items from both tables (changes may still be in flight) and keeps those that persist. */
export async function recheck(client: DynamoDBClient, feeds: NamedReplicaFeed[], differences: Difference[]): Promise<Difference[]> {
  const remaining: Difference[] = [];
  for (const diff of differences) {
    const feed = feeds.find((p) => p.name === diff.replica)!;
    const [item, copy] = await Promise.all([
      client.send(new GetItemCommand({ TableName: feed.source, Key: diff.key, ConsistentRead: true })),
      client.send(new GetItemCommand({ TableName: feed.replica, Key: diff.key, ConsistentRead: true })),
    ]);
    const again = differenceOf(feed, diff.key, item.Item, copy.Item);
    if (again) remaining.push(again);
  }
  return remaining;
}
