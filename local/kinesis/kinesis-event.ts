import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

/** Where an event came from, to fill the ARNs Lambda puts into every record. */
export interface EventSource {
  region: string;
  accountId: string;
  streamName: string;
  functionName: string;
}

export const streamArn = (s: EventSource) => `arn:aws:kinesis:${s.region}:${s.accountId}:stream/${s.streamName}`;
export const functionArn = (s: EventSource) => `arn:aws:lambda:${s.region}:${s.accountId}:function:${s.functionName}`;

/** The event Lambda's Kinesis event source mapping sends: one record per Kinesis record, data base64-encoded. */
export function kinesisEvent(source: EventSource, shardId: string, records: readonly KinesisRecord[]): KinesisStreamEvent {
  return { Records: records.map((record) => kinesisEventRecord(source, shardId, record)) };
}

export function kinesisEventRecord(source: EventSource, shardId: string, record: KinesisRecord): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber: record.SequenceNumber ?? '',
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${record.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${source.accountId}:role/${source.functionName}-role`,
    awsRegion: source.region,
    eventSourceARN: streamArn(source),
  };
}

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** What Lambda sends to an on-failure destination for a discarded Kinesis batch (metadata, not the records). */
export interface OnFailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: FailureCondition; approximateInvokeCount: number };
  responseContext: { statusCode: number; executedVersion: string; functionError: string };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export function onFailureRecord(
  source: EventSource,
  shardId: string,
  records: readonly KinesisRecord[],
  condition: FailureCondition,
  invokeCount: number,
  now = new Date(),
): OnFailureRecord {
  const first = records[0];
  const last = records[records.length - 1];
  const arrival = (r: KinesisRecord | undefined) => (r?.ApproximateArrivalTimestamp ?? now).toISOString();
  return {
    requestContext: { requestId: randomUUID(), functionArn: functionArn(source), condition, approximateInvokeCount: invokeCount },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: now.toISOString(),
    KinesisBatchInfo: {
      shardId,
      startSequenceNumber: first?.SequenceNumber ?? '',
      endSequenceNumber: last?.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      batchSize: records.length,
      streamArn: streamArn(source),
    },
  };
}

/**
 * Where to resume after a function's partial batch response: the index of the lowest failed sequence
 * number (records are in sequence order), -1 when nothing failed, or undefined when the response is not a
 * valid one (an identifier that is empty or not in the batch), which Lambda treats as a failed batch.
 */
export function firstFailedIndex(records: ReadonlyArray<{ SequenceNumber?: string }>, response: unknown): number | undefined {
  const failures = (response as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return -1;
  if (!Array.isArray(failures)) return undefined;
  if (failures.length === 0) return -1;
  let lowest: number | undefined;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? records.findIndex((r) => r.SequenceNumber === id) : -1;
    if (index < 0) return undefined;
    lowest = lowest === undefined ? index : Math.min(lowest, index);
  }
  return lowest;
}

export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
