import {
  TOMBSTONE_ATTRIBUTE,
  TOMBSTONE_TTL_ATTRIBUTE,
  TOMBSTONE_TTL_SECONDS,
  VERSION_ATTRIBUTE,
} from '../../topology/index';
import type { AttributeMap } from './change-record';
import type { Change } from './decode';

/**
 * Writes to a replica table. `putIfNewer` is one conditional write that answers false when the replica
 * already holds this change or a newer one (see `wins`).
 */
export interface ReplicaStore {
  putIfNewer(table: string, item: AttributeMap, version: number): Promise<boolean>;
}

export type ApplyOutcome = 'applied' | 'tombstoned' | 'skipped';

/**
 * The item a change leaves in a replica: the new image as is, or for REMOVE a tombstone carrying the
 * removed version, so that an older INSERT/MODIFY arriving late cannot resurrect the item.
 */
export function replicaItem(change: Change, nowMs: number): AttributeMap {
  if (change.newImage) return change.newImage;
  return {
    ...change.keys,
    [TOMBSTONE_ATTRIBUTE]: { BOOL: true },
    [VERSION_ATTRIBUTE]: { N: String(change.version) },
    [TOMBSTONE_TTL_ATTRIBUTE]: { N: String(Math.floor(nowMs / 1000) + TOMBSTONE_TTL_SECONDS) },
  };
}

/**
 * The replica's write condition as a pure function. Changes are ordered by (version, tombstone): a
 * tombstone carries the removed item's version, so it must beat the live item of that same version, and
 * a late live item of that version must not beat the tombstone.
 */
export function wins(current: AttributeMap | undefined, item: AttributeMap): boolean {
  const held = current?.[VERSION_ATTRIBUTE]?.N;
  if (held === undefined) return true;
  const version = Number(item[VERSION_ATTRIBUTE]?.N);
  return Number(held) < version || (Number(held) === version && isTombstone(item) && !isTombstone(current));
}

export function isTombstone(item: AttributeMap | undefined): boolean {
  return item?.[TOMBSTONE_ATTRIBUTE]?.BOOL === true;
}

/**
 * Applies one change to one replica. Records arrive duplicated and out of order; the version condition
 * makes the outcome independent of both, so a failed condition means "already applied or superseded".
 */
export async function applyChange(change: Change, replicaTable: string, store: ReplicaStore, nowMs = Date.now()): Promise<ApplyOutcome> {
  const written = await store.putIfNewer(replicaTable, replicaItem(change, nowMs), change.version);
  if (!written) return 'skipped';
  return change.newImage ? 'applied' : 'tombstoned';
}
