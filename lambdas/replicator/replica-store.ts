import { PutItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TOMBSTONE_ATTRIBUTE, VERSION_ATTRIBUTE } from '../../topology/index';
import { isConditionalCheckFailed } from '../shared/errors';
import type { ReplicaStore } from './apply-change';
import type { AttributeMap } from './change-record';

type Client = DynamoDBClient | DynamoDBDocumentClient;

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);
const EXTRA_ATTEMPTS = 4;

/**
 * Replica writes in wire format (no marshalling, so numbers and sets stay exactly as in the source).
 * The SDK's adaptive retries absorb short throttling; this adds a few slower, jittered attempts on top
 * before the record is reported as failed and retried by the event source mapping.
 */
export class DynamoDbReplicaStore implements ReplicaStore {
  constructor(private readonly client: Client, private readonly sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))) {}

  async putIfNewer(table: string, item: AttributeMap, version: number): Promise<boolean> {
    // The same order as `wins`: (version, tombstone).
    const tombstone = item[TOMBSTONE_ATTRIBUTE]?.BOOL === true;
    const command = new PutItemCommand({
      TableName: table,
      Item: item,
      ConditionExpression: tombstone
        ? 'attribute_not_exists(#v) OR #v < :v OR (#v = :v AND attribute_not_exists(#d))'
        : 'attribute_not_exists(#v) OR #v < :v',
      ExpressionAttributeNames: tombstone ? { '#v': VERSION_ATTRIBUTE, '#d': TOMBSTONE_ATTRIBUTE } : { '#v': VERSION_ATTRIBUTE },
      ExpressionAttributeValues: { ':v': { N: String(version) } },
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await (this.client as DynamoDBClient).send(command);
        return true;
      } catch (err) {
        if (isConditionalCheckFailed(err)) return false;
        if (!isThrottling(err) || attempt >= EXTRA_ATTEMPTS) throw err;
        await this.sleep(Math.random() * 100 * 2 ** attempt);
      }
    }
  }
}

export function isThrottling(err: unknown): boolean {
  return err instanceof Error && THROTTLING.has(err.name);
}

export interface ReplicaCounts {
  items: number;
  tombstones: number;
}

/**
 * Live items and tombstones of a replica. A Scan reads the whole table (cost grows with its size), so
 * only the tombstone flag is projected and the page count is bounded.
 */
export async function countReplica(client: Client, table: string, maxPages = 1000): Promise<ReplicaCounts> {
  const counts = { items: 0, tombstones: 0 };
  let start: AttributeMap | undefined;
  for (let page = 0; page < maxPages; page++) {
    const out = await (client as DynamoDBClient).send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: '#d, #v',
        ExpressionAttributeNames: { '#d': TOMBSTONE_ATTRIBUTE, '#v': VERSION_ATTRIBUTE },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) {
      if (item[TOMBSTONE_ATTRIBUTE]?.BOOL === true) counts.tombstones++;
      else counts.items++;
    }
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return counts;
}
