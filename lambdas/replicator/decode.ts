import { TOMBSTONE_ATTRIBUTE, VERSION_ATTRIBUTE } from '../../topology/index';
import { TRACE_ATTRIBUTE } from '../shared/tracing';
import type { AttributeMap, DynamoDbChangeRecord } from '../../topology/change-record';

/** A change record that can never be applied; thrown so the record lands in the on-failure destination. */
export class MalformedChangeRecord extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedChangeRecord';
  }
}

/** What the replicator needs from one change record, validated. */
export interface Change {
  eventID: string;
  tableName: string;
  eventName: DynamoDbChangeRecord['eventName'];
  keys: AttributeMap;
  /** The item after the change; absent for REMOVE. */
  newImage?: AttributeMap;
  /** The version this change leaves behind: the new item's, or for REMOVE the removed item's. */
  version: number;
  /** When DynamoDB made the change, epoch milliseconds (fractional with MICROSECOND precision). */
  changedAtMs: number;
  /** The writer's W3C traceparent from the image (for REMOVE the old image's: the last write's). */
  traceparent?: string;
}

/** Decodes `kinesis.data` (base64 JSON) into a validated change. */
export function decodeChange(base64Data: string): Change {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(base64Data, 'base64').toString('utf8'));
  } catch {
    throw new MalformedChangeRecord('kinesis data is not base64-encoded JSON');
  }
  return toChange(value);
}

export function toChange(value: unknown): Change {
  if (!isObject(value)) throw new MalformedChangeRecord('change record is not an object');
  const { eventID, eventName, tableName, dynamodb } = value as Partial<DynamoDbChangeRecord>;
  if (typeof tableName !== 'string' || tableName === '') throw new MalformedChangeRecord('tableName is missing');
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
    throw new MalformedChangeRecord(`eventName "${String(eventName)}" is not INSERT, MODIFY or REMOVE`);
  }
  if (!isObject(dynamodb)) throw new MalformedChangeRecord('dynamodb is missing');
  const keys = dynamodb.Keys;
  if (!isObject(keys) || Object.keys(keys).length === 0) throw new MalformedChangeRecord('dynamodb.Keys is missing');
  const image = eventName === 'REMOVE' ? dynamodb.OldImage : dynamodb.NewImage;
  const imageName = eventName === 'REMOVE' ? 'OldImage' : 'NewImage';
  if (!isObject(image)) throw new MalformedChangeRecord(`dynamodb.${imageName} is missing`);
  for (const [name, key] of Object.entries(keys)) {
    if (JSON.stringify(image[name]) !== JSON.stringify(key)) {
      throw new MalformedChangeRecord(`dynamodb.${imageName} does not carry key attribute "${name}"`);
    }
  }
  // A tombstone is the replica's own marker; a source item that claims to be one would hide itself.
  if (TOMBSTONE_ATTRIBUTE in image) throw new MalformedChangeRecord(`source item carries "${TOMBSTONE_ATTRIBUTE}"`);
  return {
    eventID: typeof eventID === 'string' ? eventID : '',
    tableName,
    eventName,
    keys: keys as AttributeMap,
    ...(eventName === 'REMOVE' ? {} : { newImage: image as AttributeMap }),
    version: versionOf(image as AttributeMap, imageName),
    changedAtMs: changedAtMs(dynamodb),
    ...(typeof image[TRACE_ATTRIBUTE]?.S === 'string' ? { traceparent: image[TRACE_ATTRIBUTE].S } : {}),
  };
}

function versionOf(image: AttributeMap, imageName: string): number {
  const raw = image[VERSION_ATTRIBUTE]?.N;
  const version = raw === undefined ? NaN : Number(raw);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new MalformedChangeRecord(`dynamodb.${imageName}.${VERSION_ATTRIBUTE} is missing or not a positive integer`);
  }
  return version;
}

function changedAtMs(dynamodb: Partial<DynamoDbChangeRecord['dynamodb']>): number {
  const raw = dynamodb.ApproximateCreationDateTime;
  if (typeof raw !== 'number' || !Number.isFinite(raw)) {
    throw new MalformedChangeRecord('dynamodb.ApproximateCreationDateTime is missing');
  }
  return dynamodb.ApproximateCreationDateTimePrecision === 'MICROSECOND' ? raw / 1000 : raw;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
