import { DescribeTableCommand, GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isTombstone } from '../../lambdas/replicator/apply-change';
import type { AttributeMap } from '../../lambdas/replicator/change-record';
import { DynamoDbReplicaStore } from '../../lambdas/replicator/replica-store';
import { canonical, keyOf } from '../../local/change-record';
import { TOMBSTONE_ATTRIBUTE, TOMBSTONE_TTL_ATTRIBUTE, TOMBSTONE_TTL_SECONDS, VERSION_ATTRIBUTE } from '../../topology/index';

export interface ReplicaPair {
  /** Name shown in output (logical name locally). */
  name: string;
  replica: string;
  source: string;
}

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

export async function keyNamesOf(client: DynamoDBClient, table: string): Promise<string[]> {
  const out = await client.send(new DescribeTableCommand({ TableName: table }));
  return (out.Table?.KeySchema ?? []).sort((a) => (a.KeyType === 'HASH' ? -1 : 1)).map((k) => k.AttributeName!);
}

export interface BackfillProgress {
  scanned: number;
  total: number;
  written: number;
  skipped: number;
  tombstoned: number;
  invalid: number;
}

/**
 * Seeds a replica from a scan of its source with the replicator's own conditional write, so changes the
 * stream delivers meanwhile are never overwritten by an older scanned copy. Then replica items whose
 * source item no longer exists (deleted before the stream could tell) become tombstones.
 */
export async function backfill(client: DynamoDBClient, pair: ReplicaPair, onProgress: (p: BackfillProgress) => void = () => {}): Promise<BackfillProgress> {
  const store = new DynamoDbReplicaStore(client);
  const keyNames = await keyNamesOf(client, pair.source);
  const described = await client.send(new DescribeTableCommand({ TableName: pair.source }));
  const progress: BackfillProgress = { scanned: 0, total: described.Table?.ItemCount ?? 0, written: 0, skipped: 0, tombstoned: 0, invalid: 0 };
  for await (const page of scanAll(client, pair.source)) {
    await Promise.all(
      page.map(async (item) => {
        const version = Number(item[VERSION_ATTRIBUTE]?.N);
        if (!Number.isSafeInteger(version) || version < 1) progress.invalid++;
        else if (await store.putIfNewer(pair.replica, item, version)) progress.written++;
        else progress.skipped++;
      }),
    );
    progress.scanned += page.length;
    progress.total = Math.max(progress.total, progress.scanned);
    onProgress({ ...progress });
  }
  for await (const page of scanAll(client, pair.replica)) {
    for (const item of page) {
      if (isTombstone(item)) continue;
      const key = keyOf(item, keyNames);
      const current = await client.send(new GetItemCommand({ TableName: pair.source, Key: key, ConsistentRead: true }));
      if (current.Item) continue;
      const version = Number(item[VERSION_ATTRIBUTE]?.N ?? 0);
      const tombstone = { ...key, [TOMBSTONE_ATTRIBUTE]: { BOOL: true }, [VERSION_ATTRIBUTE]: { N: String(version) }, [TOMBSTONE_TTL_ATTRIBUTE]: { N: String(Math.floor(Date.now() / 1000) + TOMBSTONE_TTL_SECONDS) } };
      if (await store.putIfNewer(pair.replica, tombstone, version)) progress.tombstoned++;
    }
  }
  onProgress({ ...progress });
  return progress;
}

export type DifferenceKind = 'missing' | 'stale' | 'different' | 'not-deleted';

export interface Difference {
  replica: string;
  kind: DifferenceKind;
  key: AttributeMap;
  sourceVersion?: number;
  replicaVersion?: number;
}

/** Compares a source with its replica item by item: live source items must be copied exactly, deleted ones absent or tombstoned. */
export async function compare(client: DynamoDBClient, pair: ReplicaPair): Promise<Difference[]> {
  const keyNames = await keyNamesOf(client, pair.source);
  const id = (item: AttributeMap) => canonical(keyOf(item, keyNames));
  const source = new Map<string, AttributeMap>();
  for await (const page of scanAll(client, pair.source)) for (const item of page) source.set(id(item), item);
  const replica = new Map<string, AttributeMap>();
  for await (const page of scanAll(client, pair.replica)) for (const item of page) replica.set(id(item), item);
  const differences: Difference[] = [];
  for (const [key, item] of source) {
    const copy = replica.get(key);
    const diff = differenceOf(pair.name, keyOf(item, keyNames), item, copy);
    if (diff) differences.push(diff);
  }
  for (const [key, copy] of replica) {
    if (!source.has(key) && !isTombstone(copy)) differences.push(differenceOf(pair.name, keyOf(copy, keyNames), undefined, copy)!);
  }
  return differences;
}

export function differenceOf(replica: string, key: AttributeMap, item: AttributeMap | undefined, copy: AttributeMap | undefined): Difference | undefined {
  const sourceVersion = item ? Number(item[VERSION_ATTRIBUTE]?.N) : undefined;
  const replicaVersion = copy ? Number(copy[VERSION_ATTRIBUTE]?.N) : undefined;
  const base = { replica, key, sourceVersion, replicaVersion };
  if (!item) return copy && !isTombstone(copy) ? { ...base, kind: 'not-deleted' } : undefined;
  if (!copy || isTombstone(copy)) return { ...base, kind: 'missing' };
  if (canonical(item) === canonical(copy)) return undefined;
  return { ...base, kind: (replicaVersion ?? 0) < (sourceVersion ?? 0) ? 'stale' : 'different' };
}

/** Re-reads the differing items from both tables (changes may still be in flight) and keeps those that persist. */
export async function recheck(client: DynamoDBClient, pairs: ReplicaPair[], differences: Difference[]): Promise<Difference[]> {
  const remaining: Difference[] = [];
  for (const diff of differences) {
    const pair = pairs.find((p) => p.name === diff.replica)!;
    const [item, copy] = await Promise.all([
      client.send(new GetItemCommand({ TableName: pair.source, Key: diff.key, ConsistentRead: true })),
      client.send(new GetItemCommand({ TableName: pair.replica, Key: diff.key, ConsistentRead: true })),
    ]);
    const again = differenceOf(diff.replica, diff.key, item.Item, copy.Item);
    if (again) remaining.push(again);
  }
  return remaining;
}
