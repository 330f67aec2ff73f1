import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TOMBSTONE_ATTRIBUTE, VERSION_ATTRIBUTE } from '../../topology/index';
import { isConditionalCheckFailed } from '../shared/errors';
import { rowState, type ReplicaStore, type RowState } from './apply-change';
import type { AttributeMap } from '../../topology/change-record';

type Client = DynamoDBClient | DynamoDBDocumentClient;

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);
const EXTRA_ATTEMPTS = 4;

/**
 * Replica writes in wire format (no marshalling, so numbers and sets stay exactly as in the source).
 * The SDK's adaptive retries absorb short throttling; this adds a few slower, jittered attempts on top
 * before the record is reported as failed and retried by the event source mapping.
 * `ReturnValues: ALL_OLD` tells what the write replaced, which keeps the row counts exact; per the
 * PutItem API reference it costs no read capacity ("No read capacity units are consumed").
 */
export class DynamoDbReplicaStore implements ReplicaStore {
  constructor(private readonly client: Client, private readonly sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))) {}

  async putIfNewer(table: string, item: AttributeMap, version: number): Promise<RowState | undefined> {
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
      ReturnValues: 'ALL_OLD',
    });
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await (this.client as DynamoDBClient).send(command);
        return rowState(out.Attributes);
      } catch (err) {
        if (isConditionalCheckFailed(err)) return undefined;
        if (!isThrottling(err) || attempt >= EXTRA_ATTEMPTS) throw err;
        await this.sleep(Math.random() * 100 * 2 ** attempt);
      }
    }
  }
}

export function isThrottling(err: unknown): boolean {
  return err instanceof Error && THROTTLING.has(err.name);
}
