import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { rowState, wins, type ReplicaStore, type RowState } from '../../../../lambdas/replicator/apply-change';
import type { AttributeMap, DynamoDbChangeRecord } from '../../../../topology/change-record';

/** A change record as the streaming destination publishes it. */
export function changeRecord(overrides: Partial<DynamoDbChangeRecord> & { keys?: AttributeMap; newImage?: AttributeMap; oldImage?: AttributeMap } = {}): DynamoDbChangeRecord {
  const keys = overrides.keys ?? { userId: { S: 'u1' }, key: { S: 'k1' } };
  const newImage = overrides.newImage ?? (overrides.eventName === 'REMOVE' ? undefined : { ...keys, name: { S: 'todo' }, version: { N: '1' } });
  const { keys: _k, newImage: _n, oldImage, ...rest } = overrides;
  return {
    awsRegion: 'us-east-1',
    eventID: 'e-1',
    eventName: 'INSERT',
    userIdentity: null,
    recordFormat: 'application/json',
    tableName: 'rules',
    dynamodb: {
      ApproximateCreationDateTime: 1_700_000_000_123_456,
      ApproximateCreationDateTimePrecision: 'MICROSECOND',
      Keys: keys,
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      SizeBytes: 42,
    },
    eventSource: 'aws:dynamodb',
    ...rest,
  };
}

export function kinesisRecord(data: unknown, sequenceNumber: string, shardId = 'shardId-000000000000'): KinesisStreamRecord {
  const json = typeof data === 'string' ? data : JSON.stringify(data);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'pk',
      sequenceNumber,
      data: Buffer.from(json).toString('base64'),
      approximateArrivalTimestamp: 1_700_000_000.5,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/replicator-role',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/changes',
  };
}

export function kinesisEvent(records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}

/** A replica in memory with the same write condition as the DynamoDB one. */
export class MemoryReplicaStore implements ReplicaStore {
  readonly tables = new Map<string, Map<string, AttributeMap>>();

  constructor(private readonly keyNames: string[] = ['userId', 'key']) {}

  async putIfNewer(table: string, item: AttributeMap): Promise<RowState | undefined> {
    const rows = this.tables.get(table) ?? new Map<string, AttributeMap>();
    this.tables.set(table, rows);
    const id = JSON.stringify(this.keyNames.map((name) => item[name]));
    const before = rows.get(id);
    if (!wins(before, item)) return undefined;
    rows.set(id, item);
    return rowState(before);
  }

  rows(table: string): AttributeMap[] {
    return [...(this.tables.get(table)?.values() ?? [])];
  }
}
