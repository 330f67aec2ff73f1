import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { compareSequenceNumbers, firstFailedIndex, kinesisEvent, onFailureRecord } from '../../../../local/kinesis/kinesis-event';

const source = { region: 'us-east-1', accountId: '000000000000', streamName: 'changes', functionName: 'replicator' };
const record = (seq: string, at = 1_700_000_000_250): KinesisRecord => ({
  SequenceNumber: seq, PartitionKey: 'pk', Data: Buffer.from('{"a":1}'), ApproximateArrivalTimestamp: new Date(at),
});
const batch = [record('49600000000000000000000000000000000000000000000000000100'), record('49600000000000000000000000000000000000000000000000000200'), record('49600000000000000000000000000000000000000000000000000300')];

describe('firstFailedIndex', () => {
  it('answers -1 for a success, with or without an empty batchItemFailures', () => {
    expect(firstFailedIndex(batch, undefined)).toBe(-1);
    expect(firstFailedIndex(batch, { batchItemFailures: [] })).toBe(-1);
  });

  it('answers the lowest failed sequence number, whatever order the function reports', () => {
    const failures = [{ itemIdentifier: batch[2]!.SequenceNumber }, { itemIdentifier: batch[1]!.SequenceNumber }];
    expect(firstFailedIndex(batch, { batchItemFailures: failures })).toBe(1);
  });

  it('treats an empty or unknown identifier as a failed batch', () => {
    expect(firstFailedIndex(batch, { batchItemFailures: [{ itemIdentifier: '' }] })).toBeUndefined();
    expect(firstFailedIndex(batch, { batchItemFailures: [{ itemIdentifier: '42' }] })).toBeUndefined();
    expect(firstFailedIndex(batch, { batchItemFailures: 'all' })).toBeUndefined();
  });
});

describe('kinesis event and on-failure formats', () => {
  it('formats Lambda\'s Kinesis record with seconds and base64 data', () => {
    const event = kinesisEvent(source, 'shardId-000000000001', [batch[0]!]);
    expect(event.Records[0]!.kinesis).toMatchObject({ data: 'eyJhIjoxfQ==', approximateArrivalTimestamp: 1_700_000_000.25, partitionKey: 'pk' });
    expect(event.Records[0]!.eventID).toBe(`shardId-000000000001:${batch[0]!.SequenceNumber}`);
  });

  it('describes a discarded batch like Lambda\'s OnFailure record', () => {
    const info = onFailureRecord(source, 'shardId-000000000001', batch, 'RecordAgeExceeded', 2, new Date(0)).KinesisBatchInfo;
    expect(info).toEqual({
      shardId: 'shardId-000000000001',
      startSequenceNumber: batch[0]!.SequenceNumber,
      endSequenceNumber: batch[2]!.SequenceNumber,
      approximateArrivalOfFirstRecord: '2023-11-14T22:13:20.250Z',
      approximateArrivalOfLastRecord: '2023-11-14T22:13:20.250Z',
      batchSize: 3,
      streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/changes',
    });
  });

  it('compares sequence numbers as big integers', () => {
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(compareSequenceNumbers(batch[2]!.SequenceNumber!, batch[1]!.SequenceNumber!)).toBe(1);
  });
});
