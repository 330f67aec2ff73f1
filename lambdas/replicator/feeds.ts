import { TOMBSTONE_ATTRIBUTE, TOMBSTONE_TTL_ATTRIBUTE, VERSION_ATTRIBUTE, type AttributeType, type ReadModel, type ReplicaFeed } from '../../topology/index';
import { MalformedChangeRecord } from './decode';

export type { ReplicaFeed };

const TYPES: readonly AttributeType[] = ['S', 'N', 'BOOL'];
const BOOKKEEPING = new Set([VERSION_ATTRIBUTE, TOMBSTONE_ATTRIBUTE, TOMBSTONE_TTL_ATTRIBUTE]);

/**
 * Parses `REPLICAS`: `[{ "replica": "<physical replica table>", "source": "<physical source table>",
 * "attributes": { "<name>": "S" | "N" | "BOOL" } }]`. A replica without its read model is a
 * configuration error, never "copy everything".
 */
export function parseReplicaFeeds(json: string): ReplicaFeed[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error('REPLICAS must be a JSON array of { replica, source, attributes }');
  return value.map((entry, i) => {
    const { replica, source, attributes } = (entry ?? {}) as Partial<ReplicaFeed>;
    if (typeof replica !== 'string' || !replica || typeof source !== 'string' || !source) {
      throw new Error(`REPLICAS[${i}] needs string "replica" and "source" table names`);
    }
    return { replica, source, attributes: parseReadModel(attributes, `REPLICAS[${i}].attributes`) };
  });
}

function parseReadModel(value: unknown, where: string): ReadModel {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} must be an object of attribute name → type`);
  for (const [name, type] of Object.entries(value)) {
    if (BOOKKEEPING.has(name)) throw new Error(`${where}.${name} is replication bookkeeping, not a read-model attribute`);
    if (!TYPES.includes(type as AttributeType)) throw new Error(`${where}.${name} must be one of ${TYPES.join(', ')}`);
  }
  return value as ReadModel;
}

/** The feeds of a source table; a table nobody replicates is a configuration error, not a silent drop. */
export function feedsOf(feeds: readonly ReplicaFeed[], tableName: string): ReplicaFeed[] {
  const matched = feeds.filter((feed) => feed.source === tableName);
  if (matched.length === 0) throw new MalformedChangeRecord(`no replica is configured for table "${tableName}"`);
  return matched;
}
