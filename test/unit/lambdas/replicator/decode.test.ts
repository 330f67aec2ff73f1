import { describe, expect, it } from 'vitest';
import { decodeChange, MalformedChangeRecord } from '../../../../lambdas/replicator/decode';
import { changeRecord } from './change-builders';

const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

describe('decodeChange', () => {
  it('reads an INSERT with its new image, version and microsecond change time', () => {
    // Prepare
    const record = changeRecord({ newImage: { userId: { S: 'u1' }, key: { S: 'k1' }, version: { N: '3' } } });
    // Act
    const change = decodeChange(encode(record));
    // Assess
    expect(change).toEqual({
      eventID: 'e-1',
      tableName: 'rules',
      eventName: 'INSERT',
      keys: { userId: { S: 'u1' }, key: { S: 'k1' } },
      newImage: { userId: { S: 'u1' }, key: { S: 'k1' }, version: { N: '3' } },
      version: 3,
      changedAtMs: 1_700_000_000_123.456,
    });
  });

  it('reads a REMOVE with the removed version from the old image', () => {
    const record = changeRecord({ eventName: 'REMOVE', oldImage: { userId: { S: 'u1' }, key: { S: 'k1' }, version: { N: '7' } } });
    const change = decodeChange(encode(record));
    expect(change.newImage).toBeUndefined();
    expect(change.version).toBe(7);
  });

  it('takes MILLISECOND precision times as milliseconds', () => {
    const record = changeRecord();
    record.dynamodb.ApproximateCreationDateTimePrecision = 'MILLISECOND';
    record.dynamodb.ApproximateCreationDateTime = 1_700_000_000_123;
    expect(decodeChange(encode(record)).changedAtMs).toBe(1_700_000_000_123);
  });

  it.each([
    ['bad JSON', '{"eventName":'],
    ['a JSON array', '[]'],
    ['no tableName', { ...changeRecord(), tableName: undefined }],
    ['an unknown eventName', { ...changeRecord(), eventName: 'UPSERT' }],
    ['no Keys', { ...changeRecord(), dynamodb: { ...changeRecord().dynamodb, Keys: {} } }],
    ['no NewImage on INSERT', { ...changeRecord(), dynamodb: { ...changeRecord().dynamodb, NewImage: undefined } }],
    ['no OldImage on REMOVE', changeRecord({ eventName: 'REMOVE' })],
    ['no version', changeRecord({ newImage: { userId: { S: 'u1' }, key: { S: 'k1' } } })],
    ['a string version', changeRecord({ newImage: { userId: { S: 'u1' }, key: { S: 'k1' }, version: { S: '1' } } })],
    ['a zero version', changeRecord({ newImage: { userId: { S: 'u1' }, key: { S: 'k1' }, version: { N: '0' } } })],
    ['an image without the key', changeRecord({ newImage: { userId: { S: 'u1' }, key: { S: 'other' }, version: { N: '1' } } })],
    ['a tombstone marker in the source', changeRecord({ newImage: { userId: { S: 'u1' }, key: { S: 'k1' }, version: { N: '1' }, _deleted: { BOOL: true } } })],
    ['no change time', { ...changeRecord(), dynamodb: { ...changeRecord().dynamodb, ApproximateCreationDateTime: 'soon' } }],
  ])('rejects a record with %s', (_name, value) => {
    expect(() => decodeChange(encode(value))).toThrow(MalformedChangeRecord);
  });
});
