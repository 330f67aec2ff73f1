import { QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Client = DynamoDBClient | DynamoDBDocumentClient;

/** What one batch did to one replica from one shard. */
export interface ShardProgress {
  replica: string;
  source: string;
  shardId: string;
  /** Highest sequence number applied (or skipped as already applied) in the batch. */
  lastSequenceNumber?: string;
  /** Change time (epoch ms) of the newest change in the batch. */
  lastChangeAt?: number;
  applied: number;
  skipped: number;
  tombstones: number;
  failed: number;
  /** Net change of the replica's live rows and tombstone rows (each write's exact effect, from ALL_OLD). */
  rows: number;
  tombstoneRows: number;
}

/** A backfill's progress as the replication view shows it (the `backfill` row of a replica). */
export interface BackfillState {
  phase: string;
  done: number;
  total: number;
  /** The source's item count from the backfill's count pass, and when it was taken. */
  sourceItems: number;
  countedAt: number;
  updatedAt: number;
}

export interface ShardState {
  replica: string;
  source: string;
  shardId: string;
  lastSequenceNumber?: string;
  lastChangeAt?: number;
  lastAppliedAt?: number;
  /** Change-to-apply delay of the newest change when it was applied. */
  lagMs?: number;
  applied: number;
  skipped: number;
  tombstones: number;
  failed: number;
  rows: number;
  tombstoneRows: number;
  /** Only on the `backfill` row. */
  backfill?: BackfillState;
}

/**
 * The replication-state table (key replica + shardId): one row per replica and shard, updated once per batch.
 * Summed over a replica's rows, `rows` and `tombstoneRows` are its current row counts, which is what
 * `GET /api/replication` reports without reading the replica itself.
 */
export class StateRepository {
  constructor(private readonly client: Client, private readonly table: string) {}

  async record(progress: ShardProgress, nowMs = Date.now()): Promise<void> {
    const set = ['#source = :source', 'updatedAt = :now'];
    const values: Record<string, { S: string } | { N: string }> = {
      ':source': { S: progress.source },
      ':now': { N: String(nowMs) },
      ':applied': { N: String(progress.applied) },
      ':skipped': { N: String(progress.skipped) },
      ':tombstones': { N: String(progress.tombstones) },
      ':failed': { N: String(progress.failed) },
      ':rows': { N: String(progress.rows) },
      ':tombstoneRows': { N: String(progress.tombstoneRows) },
    };
    if (progress.lastSequenceNumber !== undefined && progress.lastChangeAt !== undefined) {
      set.push('lastSequenceNumber = :seq', 'lastChangeAt = :changeAt', 'lastAppliedAt = :now', 'lagMs = :lag');
      values[':seq'] = { S: progress.lastSequenceNumber };
      values[':changeAt'] = { N: String(progress.lastChangeAt) };
      values[':lag'] = { N: String(Math.max(0, Math.round(nowMs - progress.lastChangeAt))) };
    }
    await (this.client as DynamoDBClient).send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { replica: { S: progress.replica }, shardId: { S: progress.shardId } },
        UpdateExpression: `SET ${set.join(', ')} ADD applied :applied, skipped :skipped, tombstones :tombstones, failed :failed, #rows :rows, tombstoneRows :tombstoneRows`,
        // `source` and `rows` are DynamoDB reserved words.
        ExpressionAttributeNames: { '#source': 'source', '#rows': 'rows' },
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Overwrites the progress fields of a replica's backfill row (the counts it ADDs are left alone). */
  async recordBackfill(replica: string, source: string, p: { phase: string; done: number; total: number; sourceItems: number }, nowMs = Date.now()): Promise<void> {
    await (this.client as DynamoDBClient).send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { replica: { S: replica }, shardId: { S: 'backfill' } },
        // The count pass ends as the replica scan begins: that is when the source count was taken.
        UpdateExpression: `SET #source = :source, backfillPhase = :phase, backfillDone = :done, backfillTotal = :total, sourceItems = :items, backfillUpdatedAt = :now${p.phase === 'read-replica' ? ', sourceCountedAt = :now' : ''}`,
        ExpressionAttributeNames: { '#source': 'source' },
        ExpressionAttributeValues: {
          ':source': { S: source },
          ':phase': { S: p.phase },
          ':done': { N: String(p.done) },
          ':total': { N: String(p.total) },
          ':items': { N: String(p.sourceItems) },
          ':now': { N: String(nowMs) },
        },
      }),
    );
  }

  async shardsOf(replica: string): Promise<ShardState[]> {
    const out = await (this.client as DynamoDBClient).send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'replica = :r',
        ExpressionAttributeValues: { ':r': { S: replica } },
      }),
    );
    return (out.Items ?? []).map((item) => ({
      replica,
      source: item.source?.S ?? '',
      shardId: item.shardId?.S ?? '',
      lastSequenceNumber: item.lastSequenceNumber?.S,
      lastChangeAt: num(item.lastChangeAt?.N),
      lastAppliedAt: num(item.lastAppliedAt?.N),
      lagMs: num(item.lagMs?.N),
      applied: num(item.applied?.N) ?? 0,
      skipped: num(item.skipped?.N) ?? 0,
      tombstones: num(item.tombstones?.N) ?? 0,
      failed: num(item.failed?.N) ?? 0,
      rows: num(item.rows?.N) ?? 0,
      tombstoneRows: num(item.tombstoneRows?.N) ?? 0,
      ...(item.backfillPhase?.S
        ? {
            backfill: {
              phase: item.backfillPhase.S,
              done: num(item.backfillDone?.N) ?? 0,
              total: num(item.backfillTotal?.N) ?? 0,
              sourceItems: num(item.sourceItems?.N) ?? 0,
              countedAt: num(item.sourceCountedAt?.N) ?? 0,
              updatedAt: num(item.backfillUpdatedAt?.N) ?? 0,
            },
          }
        : {}),
    }));
  }
}

function num(raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : Number(raw);
}
