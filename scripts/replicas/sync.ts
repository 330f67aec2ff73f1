import { DescribeTableCommand, GetItemCommand, PutItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isTombstone, project, tombstone } from '../../lambdas/replicator/apply-change';
import type { AttributeMap } from '../../lambdas/replicator/change-record';
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

export interface BackfillProgress {
  scanned: number;
  total: number;
  written: number;
  skipped: number;
  tombstoned: number;
  invalid: number;
  /** Replica rows that held attributes outside the read model (written before it existed), rewritten without them. */
  scrubbed: number;
}

/**
 * Seeds a replica from a scan of its source with the replicator's own conditional write and projection,
 * so changes the stream delivers meanwhile are never overwritten by an older scanned copy. Then replica
 * items whose source item no longer exists (deleted before the stream could tell) become tombstones,
 * rows holding attributes outside the read model lose them, and the row counts in the
 * replication-state table are corrected to what the replica holds.
 */
export async function backfill(client: DynamoDBClient, feed: NamedReplicaFeed, onProgress: (p: BackfillProgress) => void = () => {}): Promise<BackfillProgress> {
  const store = new DynamoDbReplicaStore(client);
  const keyNames = await tableKeyNames(client, feed.source);
  const described = await client.send(new DescribeTableCommand({ TableName: feed.source }));
  const progress: BackfillProgress = { scanned: 0, total: described.Table?.ItemCount ?? 0, written: 0, skipped: 0, tombstoned: 0, invalid: 0, scrubbed: 0 };
  for await (const page of scanAll(client, feed.source)) {
    await Promise.all(
      page.map(async (item) => {
        const version = Number(item[VERSION_ATTRIBUTE]?.N);
        if (!Number.isSafeInteger(version) || version < 1) progress.invalid++;
        else if (await store.putIfNewer(feed.replica, project(item, keyOf(item, keyNames), feed.attributes), version)) progress.written++;
        else progress.skipped++;
      }),
    );
    progress.scanned += page.length;
    progress.total = Math.max(progress.total, progress.scanned);
    onProgress({ ...progress });
  }
  const rows = { live: 0, tombstones: 0 };
  for await (const page of scanAll(client, feed.replica)) {
    for (const row of page) {
      if (isTombstone(row)) {
        rows.tombstones++;
        continue;
      }
      const key = keyOf(row, keyNames);
      const version = Number(row[VERSION_ATTRIBUTE]?.N ?? 0);
      const current = await client.send(new GetItemCommand({ TableName: feed.source, Key: key, ConsistentRead: true }));
      if (!current.Item) {
        if (await store.putIfNewer(feed.replica, tombstone(key, version, Date.now()), version)) progress.tombstoned++;
        rows.tombstones++;
        continue;
      }
      if (await scrub(client, feed, row, key, version)) progress.scrubbed++;
      rows.live++;
    }
  }
  if (feed.stateTable) await correctCounts(client, feed, feed.stateTable, rows, progress);
  onProgress({ ...progress });
  return progress;
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
 * correction is exact on a quiet replica; changes applied during the scan can leave it off by those.
 */
async function correctCounts(client: DynamoDBClient, feed: NamedReplicaFeed, stateTable: string, rows: { live: number; tombstones: number }, progress: BackfillProgress): Promise<void> {
  const state = new StateRepository(client, stateTable);
  const shards = await state.shardsOf(feed.replica);
  const recorded = (field: 'rows' | 'tombstoneRows') => shards.reduce((total, shard) => total + shard[field], 0);
  await state.record({
    replica: feed.replica,
    source: feed.source,
    shardId: BACKFILL_SHARD,
    applied: progress.written + progress.tombstoned + progress.scrubbed,
    skipped: progress.skipped,
    tombstones: progress.tombstoned,
    failed: 0,
    rows: rows.live - recorded('rows'),
    tombstoneRows: rows.tombstones - recorded('tombstoneRows'),
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
