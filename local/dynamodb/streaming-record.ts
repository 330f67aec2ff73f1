import { createHash, randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AttributeMap, DynamoDbChangeRecord } from '../../topology/change-record';

export interface ItemChange {
  tableName: string;
  keys: AttributeMap;
  oldImage?: AttributeMap;
  newImage?: AttributeMap;
}

/**
 * The record DynamoDB's Kinesis streaming destination publishes for one item change, or undefined when
 * nothing changed: per the DynamoDB Streams documentation, a PutItem/UpdateItem that leaves the item
 * identical, or a DeleteItem of a missing item, writes no record.
 */
export function changeRecord(change: ItemChange, options: { region: string; nowMicros: number; eventID?: string }): DynamoDbChangeRecord | undefined {
  const { oldImage, newImage } = change;
  if (!oldImage && !newImage) return undefined;
  if (oldImage && newImage && itemsEqual(oldImage, newImage)) return undefined;
  const eventName = !oldImage ? 'INSERT' : !newImage ? 'REMOVE' : 'MODIFY';
  return {
    awsRegion: options.region,
    eventID: options.eventID ?? randomUUID(),
    eventName,
    userIdentity: null,
    recordFormat: 'application/json',
    tableName: change.tableName,
    dynamodb: {
      ApproximateCreationDateTime: options.nowMicros,
      ApproximateCreationDateTimePrecision: 'MICROSECOND',
      Keys: change.keys,
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      SizeBytes: itemSize(change.keys) + (newImage ? itemSize(newImage) : 0) + (oldImage ? itemSize(oldImage) : 0),
    },
    eventSource: 'aws:dynamodb',
  };
}

/** Kinesis partition key for an item: a digest of table and key, so every change of one item lands on one shard in order. */
export function partitionKey(tableName: string, keys: AttributeMap): string {
  return createHash('md5').update(tableName).update('\0').update(canonical(keys)).digest('hex').toUpperCase();
}

/** The key attributes of an item, given the table's key attribute names. */
export function keyOf(item: AttributeMap, keyNames: readonly string[]): AttributeMap {
  const keys: AttributeMap = {};
  for (const name of keyNames) {
    const value = item[name];
    if (value === undefined) throw new MissingKeyAttribute(name);
    keys[name] = value;
  }
  return keys;
}

export class MissingKeyAttribute extends Error {
  constructor(name: string) {
    super(`item lacks key attribute "${name}"`);
    this.name = 'MissingKeyAttribute';
  }
}

/** Order-independent serialisation (attribute order and set element order carry no meaning). */
export function canonical(value: AttributeMap | AttributeValue): string {
  return JSON.stringify(normalise(value));
}

export function itemsEqual(a: AttributeMap, b: AttributeMap): boolean {
  return canonical(a) === canonical(b);
}

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(
    entries.map(([key, inner]) => {
      // Sets are unordered; numbers are compared by value ("1.0" and "1" are the same number to DynamoDB).
      if ((key === 'SS' || key === 'BS') && Array.isArray(inner)) return [key, [...inner].map(String).sort()];
      if (key === 'NS' && Array.isArray(inner)) return [key, inner.map((n) => String(Number(n))).sort()];
      if (key === 'N' && typeof inner === 'string') return [key, String(Number(inner))];
      return [key, normalise(inner)];
    }),
  );
}

/** DynamoDB's item size rules, approximately: attribute names plus values, with container overheads. */
export function itemSize(item: AttributeMap): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (value.NS) return value.NS.reduce((n, s) => n + numberSize(s), 0);
  if (value.BS) return value.BS.reduce((n, b) => n + b.length, 0);
  if (value.L) return 3 + value.L.reduce((n, v) => n + 1 + valueSize(v), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueSize(v), 0);
  return 0;
}

function numberSize(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/e.*$/i, '');
  return Math.ceil(digits.length / 2) + 1;
}
