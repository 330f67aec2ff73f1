import { describe, expect, it } from 'vitest';
import { canonical, changeRecord, itemSize, itemsEqual, keyOf, MissingKeyAttribute, partitionKey } from '../../../../local/dynamodb/streaming-record';

const keys = { userId: { S: 'u' }, key: { S: 'k' } };
const v1 = { ...keys, name: { S: 'a' }, version: { N: '1' } };
const v2 = { ...keys, name: { S: 'b' }, version: { N: '2' } };
const options = { region: 'eu-west-1', nowMicros: 1_700_000_000_000_123, eventID: 'id-1' };

describe('changeRecord', () => {
  it('names the event from the images: INSERT, MODIFY, REMOVE', () => {
    expect(changeRecord({ tableName: 't', keys, newImage: v1 }, options)?.eventName).toBe('INSERT');
    expect(changeRecord({ tableName: 't', keys, oldImage: v1, newImage: v2 }, options)?.eventName).toBe('MODIFY');
    expect(changeRecord({ tableName: 't', keys, oldImage: v2 }, options)?.eventName).toBe('REMOVE');
  });

  it('builds the exact Kinesis Data Streams for DynamoDB shape', () => {
    expect(changeRecord({ tableName: 'rules', keys, oldImage: v1, newImage: v2 }, options)).toEqual({
      awsRegion: 'eu-west-1',
      eventID: 'id-1',
      eventName: 'MODIFY',
      userIdentity: null,
      recordFormat: 'application/json',
      tableName: 'rules',
      dynamodb: {
        ApproximateCreationDateTime: 1_700_000_000_000_123,
        ApproximateCreationDateTimePrecision: 'MICROSECOND',
        Keys: keys,
        NewImage: v2,
        OldImage: v1,
        SizeBytes: itemSize(keys) + itemSize(v1) + itemSize(v2),
      },
      eventSource: 'aws:dynamodb',
    });
  });

  it('emits nothing when nothing changed: an identical write, or no item before and after', () => {
    const reordered = { version: { N: '1.0' }, name: { S: 'a' }, key: { S: 'k' }, userId: { S: 'u' } };
    expect(changeRecord({ tableName: 't', keys, oldImage: v1, newImage: reordered }, options)).toBeUndefined();
    expect(changeRecord({ tableName: 't', keys }, options)).toBeUndefined();
  });
});

describe('item helpers', () => {
  it('compares items regardless of attribute and set order', () => {
    expect(itemsEqual({ a: { SS: ['x', 'y'] }, b: { N: '10' } }, { b: { N: '1e1' }, a: { SS: ['y', 'x'] } })).toBe(true);
    expect(itemsEqual({ a: { S: '1' } }, { a: { N: '1' } })).toBe(false);
    expect(canonical({ m: { M: { b: { S: '1' }, a: { S: '2' } } } })).toBe('{"m":{"M":{"a":{"S":"2"},"b":{"S":"1"}}}}');
  });

  it('sizes items by attribute names and values', () => {
    expect(itemSize({ ab: { S: 'héllo' } })).toBe(2 + 6);
    expect(itemSize({ n: { N: '12345' } })).toBe(1 + 4);
    expect(itemSize({ f: { BOOL: true }, l: { L: [{ S: 'x' }] } })).toBe(1 + 1 + 1 + 3 + 1 + 1);
  });

  it('extracts keys and derives one stable partition key per item', () => {
    expect(keyOf(v1, ['userId', 'key'])).toEqual(keys);
    expect(() => keyOf({ userId: { S: 'u' } }, ['userId', 'key'])).toThrow(MissingKeyAttribute);
    expect(partitionKey('rules', keys)).toBe(partitionKey('rules', { key: { S: 'k' }, userId: { S: 'u' } }));
    expect(partitionKey('rules', keys)).not.toBe(partitionKey('users', keys));
    expect(partitionKey('rules', keys)).toMatch(/^[0-9A-F]{32}$/);
  });
});
