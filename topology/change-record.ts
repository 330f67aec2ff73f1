import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** A DynamoDB item in wire format (attribute name → typed value), exactly as change records carry it. */
export type AttributeMap = Record<string, AttributeValue>;

/**
 * One record of a DynamoDB Kinesis streaming destination ("Kinesis Data Streams for DynamoDB"), the JSON
 * carried base64-encoded in `kinesis.data`. The local streaming-destination emulation produces exactly
 * this shape and the replicator consumes it.
 */
export interface DynamoDbChangeRecord {
  awsRegion: string;
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  userIdentity: null | { type: string; principalId: string };
  recordFormat: 'application/json';
  tableName: string;
  dynamodb: {
    /** Epoch time in the unit named by the precision: microseconds for MICROSECOND, milliseconds otherwise. */
    ApproximateCreationDateTime: number;
    ApproximateCreationDateTimePrecision?: 'MICROSECOND' | 'MILLISECOND';
    Keys: AttributeMap;
    NewImage?: AttributeMap;
    OldImage?: AttributeMap;
    SizeBytes: number;
  };
  eventSource: 'aws:dynamodb';
}
